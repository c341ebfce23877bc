#!/usr/bin/env bash
# agent_jwt with an RS256 token: signs a token and shows agent_jwt works and is isolated from the
# others. Against `npm start` it signs with the RSA key of that run (DEMO_RS256_KEY in its env
# file), whose JWKS the bridge trusts; against scripts/run_all_auth.sh it generates an RSA key and
# serves its JWKS on localhost:9001 (DEMO_JWKS_PORT), where that bridge's JWT_JWKS_URL points.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

work="$(mktemp -d)"
jwks_pid=''
cleanup() {
  [[ -n "$jwks_pid" ]] && kill "$jwks_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${DEMO_RS256_KEY:-}" ]]; then
  step "use the RSA key of npm start ($DEMO_RS256_KEY)"
  cp "$DEMO_RS256_KEY" "$work/private.pem"
else
  step "generate an RSA key and its JWKS"
  node -e '
  const { generateKeyPairSync } = require("node:crypto")
  const fs = require("node:fs")
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  fs.writeFileSync(process.argv[1] + "/private.pem", privateKey.export({ type: "pkcs8", format: "pem" }))
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "demo-rs256", alg: "RS256", use: "sig" }
  fs.writeFileSync(process.argv[1] + "/jwks.json", JSON.stringify({ keys: [jwk] }))
  ' "$work"

  step "serve the JWKS on localhost:$DEMO_JWKS_PORT"
  node -e '
  const http = require("node:http")
  const body = require("node:fs").readFileSync(process.argv[1])
  http.createServer((req, res) => {
    res.writeHead(req.url === "/.well-known/jwks.json" ? 200 : 404, { "content-type": "application/json" })
    res.end(req.url === "/.well-known/jwks.json" ? body : "{}")
  }).listen(Number(process.argv[2]), "127.0.0.1")
  ' "$work/jwks.json" "$DEMO_JWKS_PORT" &
  jwks_pid=$!
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$DEMO_JWKS_PORT/.well-known/jwks.json" >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

step "sign an RS256 token for agent_jwt"
token="$(bridge_cli gen-jwt --alg RS256 --key "$work/private.pem" --kid demo-rs256 --sub agent_jwt \
  --scopes read,write,delete,list --ttl 10m --iss "$DEMO_JWT_ISSUER" --aud "$DEMO_JWT_AUDIENCE")"
CREDS=(-H "Authorization: Bearer $token")
isolation_check agent_jwt

step "a token for another audience is refused"
other_aud="$(bridge_cli gen-jwt --alg RS256 --key "$work/private.pem" --kid demo-rs256 --sub agent_jwt \
  --scopes read --ttl 10m --iss "$DEMO_JWT_ISSUER" --aud https://some-other-app.example)"
call GET /whoami '' -H "Authorization: Bearer $other_aud"
expect_error_code 401 UNAUTHENTICATED

step "a token signed by another key is refused"
node -e '
const { generateKeyPairSync } = require("node:crypto")
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
require("node:fs").writeFileSync(process.argv[1] + "/other.pem", privateKey.export({ type: "pkcs8", format: "pem" }))
' "$work"
forged="$(bridge_cli gen-jwt --alg RS256 --key "$work/other.pem" --kid demo-rs256 --sub agent_jwt --ttl 10m \
  --iss "$DEMO_JWT_ISSUER" --aud "$DEMO_JWT_AUDIENCE")"
call GET /whoami '' -H "Authorization: Bearer $forged"
expect_error_code 401 UNAUTHENTICATED
