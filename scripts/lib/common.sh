# Shared by the scripts in scripts/: demo credentials, the bridge CLI, and small curl/JSON helpers.
# Source it; it sets no shell options of its own.

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

# load_dev_env FILE: sets BRIDGE_URL and the DEMO_* credentials from the env file the dev command
# (npm start) writes while it runs, for each variable not already set: values you export win.
load_dev_env() {
  local name value
  [[ -f "$1" ]] || return 0
  while IFS='=' read -r name value; do
    [[ "$name" =~ ^(BRIDGE_URL|DEMO_[A-Z0-9_]+)$ ]] || continue
    [[ -n "${!name:-}" ]] && continue
    value="${value#\'}"
    value="${value%\'}"
    printf -v "$name" '%s' "$value"
  done <"$1"
}
DEV_ENV_FILE="${DEV_ENV_FILE:-$ROOT/.dev/bridge.env}"
load_dev_env "$DEV_ENV_FILE"
BRIDGE_URL="${BRIDGE_URL:-http://127.0.0.1:${PORT:-8089}}"

# Demo credentials for the three demo agents: those of a running `npm start` (its env file, above),
# else the built-in ones below. Development only: run_dev.sh and run_all_auth.sh start the bridge
# with them unless you set your own, and refuse the built-in ones against any Vault but the dev
# vault (refuse_demo_credentials below).
BUILTIN_DEMO_API_KEY='dev-key-agent-api-0001'
BUILTIN_DEMO_READONLY_API_KEY='dev-key-agent-api-readonly-0001'
BUILTIN_DEMO_JWT_SECRET='dev-only-hs256-secret-change-me-0123456789'
BUILTIN_DEMO_MTLS_PROXY_SECRET='dev-only-mtls-proxy-secret-change-me-0123456789'
DEMO_API_KEY="${DEMO_API_KEY:-$BUILTIN_DEMO_API_KEY}"
DEMO_READONLY_API_KEY="${DEMO_READONLY_API_KEY:-$BUILTIN_DEMO_READONLY_API_KEY}"
DEMO_JWT_SECRET="${DEMO_JWT_SECRET:-$BUILTIN_DEMO_JWT_SECRET}"
DEMO_MTLS_PROXY_SECRET="${DEMO_MTLS_PROXY_SECRET:-$BUILTIN_DEMO_MTLS_PROXY_SECRET}"
DEMO_JWKS_PORT="${DEMO_JWKS_PORT:-9001}"
# What run_all_auth.sh requires of JWTs (a JWKS needs an issuer and an audience); the scripts' tokens carry them.
DEMO_JWT_ISSUER="${DEMO_JWT_ISSUER:-vault-mcp-bridge-demo}"
DEMO_JWT_AUDIENCE="${DEMO_JWT_AUDIENCE:-vault-mcp-bridge}"
DEMO_API_KEYS_JSON="{\"${DEMO_API_KEY}\": \"agent_api\", \"${DEMO_READONLY_API_KEY}\": {\"agent\": \"agent_api\", \"scopes\": [\"read\", \"list\"]}}"

# The bridge CLI, run from source (no build step needed).
bridge_cli() {
  "$ROOT/node_modules/.bin/tsx" "$ROOT/src/main.ts" "$@"
}

# is_dev_vault URL: true when URL is a loopback address that answers sys/health as the bridge's
# dev vault (its version ends in +devvault). Anything else, unreachable included, is a real Vault.
is_dev_vault() {
  local host
  host="$(node -e 'try { process.stdout.write(new URL(process.argv[1]).hostname) } catch {}' "$1")"
  case "$host" in
    127.* | localhost | '[::1]') ;;
    *) return 1 ;;
  esac
  curl -fsS --max-time 5 "${1%/}/v1/sys/health" 2>/dev/null | grep -q '"version":"[^"]*+devvault"'
}

# demo_credentials_in_use: prints the names of the built-in demo credentials that API_KEYS_JSON,
# JWT_HS256_SECRET and MTLS_PROXY_SECRET hold, space-separated (nothing when none).
demo_credentials_in_use() {
  local found=()
  [[ "${API_KEYS_JSON:-}" == *"\"$BUILTIN_DEMO_API_KEY\""* ]] && found+=(DEMO_API_KEY)
  [[ "${API_KEYS_JSON:-}" == *"\"$BUILTIN_DEMO_READONLY_API_KEY\""* ]] && found+=(DEMO_READONLY_API_KEY)
  [[ "${JWT_HS256_SECRET:-}" == "$BUILTIN_DEMO_JWT_SECRET" ]] && found+=(DEMO_JWT_SECRET)
  [[ "${MTLS_PROXY_SECRET:-}" == "$BUILTIN_DEMO_MTLS_PROXY_SECRET" ]] && found+=(DEMO_MTLS_PROXY_SECRET)
  printf '%s' "${found[*]}"
}

# refuse_demo_credentials WHO: exits 2 when API_KEYS_JSON, JWT_HS256_SECRET or MTLS_PROXY_SECRET
# holds a built-in demo credential and VAULT_ADDR is not the dev vault. Security: these values are
# published in this repository, so against a real Vault they would let anyone act as the demo
# agents (`serve` refuses them too, src/config/published-credentials.ts).
refuse_demo_credentials() {
  local found
  found="$(demo_credentials_in_use)"
  [[ -z "$found" ]] && return 0
  is_dev_vault "$VAULT_ADDR" && return 0
  printf '%s: refusing the built-in demo credentials (%s) against the Vault at %s, which is not the dev vault.\n' \
    "$1" "$found" "$VAULT_ADDR" >&2
  printf 'Set API_KEYS_JSON, JWT_HS256_SECRET and MTLS_PROXY_SECRET, or %s (the scripts use these too), to values of your own, e.g. $(openssl rand -hex 32).\n' \
    "$found" >&2
  exit 2
}

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# call METHOD PATH [BODY] [curl args...]: sets STATUS and BODY (response) for the checks below.
call() {
  local method="$1" path="$2" data="${3:-}"
  shift 3 2>/dev/null || shift $#
  local out
  out="$(mktemp)"
  if [[ -n "$data" ]]; then
    STATUS="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$BRIDGE_URL$path" \
      -H 'Content-Type: application/json' --data-binary "$data" "$@")"
  else
    STATUS="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$BRIDGE_URL$path" "$@")"
  fi
  BODY="$(cat "$out")"
  rm -f "$out"
  printf '    %s %s -> %s\n' "$method" "$path" "$STATUS"
}

expect_status() {
  [[ "$STATUS" == "$1" ]] || fail "expected HTTP $1, got $STATUS: $BODY"
}

# json EXPR: evaluates a JavaScript expression over the last response body (bound to `b`).
json() {
  BODY_JSON="$BODY" node -e 'const b = JSON.parse(process.env.BODY_JSON); const v = eval(process.argv[1]); process.stdout.write(typeof v === "string" ? v : JSON.stringify(v))' "$1"
}

expect_json() {
  local got
  got="$(json "$1")"
  [[ "$got" == "$2" ]] || fail "expected $1 == $2, got $got (body: $BODY)"
}

expect_error_code() {
  expect_status "$1"
  expect_json 'b.error.code' "$2"
}

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
unb64() { printf '%s' "$1" | base64 -d; }

# creds_for AGENT: sets the array CREDS to the curl arguments that authenticate as that demo agent
# (agent_api: API key; agent_jwt: an HS256 JWT; agent_mtls: the script plays the TLS proxy of
# run_all_auth.sh, MTLS_MODE=header: the headers a proxy sends after verifying a certificate, with
# the demo proxy secret that proves them; nobody else can send them).
creds_for() {
  case "$1" in
    agent_api) CREDS=(-H "X-API-Key: $DEMO_API_KEY") ;;
    agent_jwt)
      local token
      token="$(JWT_HS256_SECRET="${JWT_HS256_SECRET:-$DEMO_JWT_SECRET}" bridge_cli gen-jwt --sub agent_jwt --scopes read,write,delete,list --ttl 10m \
        --iss "$DEMO_JWT_ISSUER" --aud "$DEMO_JWT_AUDIENCE")"
      CREDS=(-H "Authorization: Bearer $token")
      ;;
    agent_mtls)
      CREDS=(-H "X-SSL-Client-S-DN: CN=agent_mtls,OU=Agents,O=Example" -H 'X-SSL-Client-Verify: SUCCESS'
        -H "X-Mtls-Proxy-Secret: $DEMO_MTLS_PROXY_SECRET")
      ;;
    *) fail "unknown demo agent $1" ;;
  esac
}

# isolation_check AGENT: AGENT (with CREDS set) works in its namespace, and neither reaches the
# other demo agents' namespaces nor lets them reach its own.
isolation_check() {
  local me="$1" own=("${CREDS[@]}") run="probe/$(date +%s)-$$"
  step "$me: whoami"
  call GET /whoami '' "${own[@]}"
  expect_status 200
  expect_json 'b.agent' "$me"

  step "$me: write and read its own secret"
  call PUT "/secrets/$run" "{\"data\": {\"owner\": \"$me\"}}" "${own[@]}"
  expect_status 200
  call GET "/secrets/$run" '' "${own[@]}"
  expect_status 200
  expect_json 'b.data.owner' "$me"

  step "$me: encrypt with its own transit key"
  call POST /transit/encrypt "{\"key\": \"probe\", \"plaintext\": \"$(b64 "$me")\"}" "${own[@]}"
  expect_status 200
  local ct
  ct="$(json 'b.ciphertext')"

  local other
  for other in agent_api agent_jwt agent_mtls; do
    [[ "$other" == "$me" ]] && continue
    step "$me: cannot reach $other's namespace through crafted paths"
    call GET "/secrets/..%2F$other%2F$run" '' "${own[@]}"
    expect_error_code 400 INVALID_PATH
    call GET "/secrets/x/../../$other/$run" '' "${own[@]}" --path-as-is
    [[ "$STATUS" == 400 || "$STATUS" == 404 ]] || fail "traversal was not refused: $STATUS"

    step "$other: does not see $me's secret or use $me's key"
    creds_for "$other"
    call GET "/secrets/$run" '' "${CREDS[@]}"
    expect_error_code 404 SECRET_NOT_FOUND
    call POST /transit/decrypt "{\"key\": \"probe\", \"ciphertext\": \"$ct\"}" "${CREDS[@]}"
    [[ "$STATUS" == 400 || "$STATUS" == 403 || "$STATUS" == 404 ]] ||
      fail "$other decrypted $me's ciphertext: $STATUS"
    CREDS=("${own[@]}")
  done

  step "$me: clean up"
  call DELETE "/secrets/$run:metadata" '' "${own[@]}"
  expect_status 200
  printf '\n%s: works in its namespace and is isolated from the others\n' "$me"
}
