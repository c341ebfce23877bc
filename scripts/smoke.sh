#!/usr/bin/env bash
# Smoke test against a running bridge (default http://127.0.0.1:8089, or BRIDGE_URL): walks every
# REST operation and every failure class as agent_api, printing each step; exits non-zero on the
# first failure. Start the bridge first: npm start (the scripts read its .dev/bridge.env), or
# scripts/run_dev.sh or scripts/run_all_auth.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

KEY=(-H "X-API-Key: $DEMO_API_KEY")
RO=(-H "X-API-Key: $DEMO_READONLY_API_KEY")
P="smoke/$(date +%s)-$$"

step "health"
call GET /healthz ''
expect_status 200

step "whoami"
call GET /whoami '' "${KEY[@]}"
expect_status 200
expect_json 'b.agent' agent_api

step "write v1, then v2 with check-and-set"
call PUT "/secrets/$P/db" '{"data": {"user": "app", "password": "s3cr3t-v1"}}' "${KEY[@]}"
expect_status 200
expect_json 'b.metadata.version' 1
call PUT "/secrets/$P/db" '{"data": {"user": "app", "password": "s3cr3t-v2"}, "cas": 1}' "${KEY[@]}"
expect_status 200
expect_json 'b.metadata.version' 2

step "check-and-set mismatch is refused"
call PUT "/secrets/$P/db" '{"data": {"password": "nope"}, "cas": 1}' "${KEY[@]}"
expect_error_code 409 CAS_MISMATCH

step "read latest and read version 1"
call GET "/secrets/$P/db" '' "${KEY[@]}"
expect_status 200
expect_json 'b.data.password' s3cr3t-v2
call GET "/secrets/$P/db?version=1" '' "${KEY[@]}"
expect_status 200
expect_json 'b.data.password' s3cr3t-v1

step "list"
call GET "/secrets?prefix=$P/" '' "${KEY[@]}"
expect_status 200
expect_json 'b.keys.includes("db")' true
call GET "/secrets?prefix=smoke/&recursive=true" '' "${KEY[@]}"
expect_status 200
expect_json "b.keys.some((k) => k.endsWith('$P/db'.slice('smoke/'.length)))" true

step "patch (merge) creates v3"
call PATCH "/secrets/$P/db" '{"data": {"password": "s3cr3t-v3", "user": null}}' "${KEY[@]}"
expect_status 200
expect_json 'b.metadata.version' 3
call GET "/secrets/$P/db" '' "${KEY[@]}"
expect_json 'b.data.password' s3cr3t-v3
expect_json '"user" in b.data' false

step "delete latest, read it (deleted), undelete"
call DELETE "/secrets/$P/db" '' "${KEY[@]}"
expect_status 200
call GET "/secrets/$P/db" '' "${KEY[@]}"
expect_error_code 404 VERSION_DELETED
call POST "/secrets/$P/db:undelete" '{"versions": [3]}' "${KEY[@]}"
expect_status 200
call GET "/secrets/$P/db" '' "${KEY[@]}"
expect_status 200
expect_json 'b.data.password' s3cr3t-v3

step "delete version 2, destroy version 1"
call DELETE "/secrets/$P/db?versions=2" '' "${KEY[@]}"
expect_status 200
call POST "/secrets/$P/db:destroy" '{"versions": [1]}' "${KEY[@]}"
expect_status 200
call GET "/secrets/$P/db?version=1" '' "${KEY[@]}"
expect_error_code 410 VERSION_DESTROYED

step "metadata"
call GET "/secrets/$P/db:metadata" '' "${KEY[@]}"
expect_status 200
expect_json 'b.current_version' 3
expect_json 'b.versions.map((v) => v.state).join(",")' 'destroyed,deleted,live'

step "transit: encrypt, decrypt, rewrap, datakey"
PLAIN="$(b64 'smoke plaintext')"
call POST /transit/encrypt "{\"key\": \"smoke\", \"plaintext\": \"$PLAIN\"}" "${KEY[@]}"
expect_status 200
CT="$(json 'b.ciphertext')"
[[ "$CT" == vault:v1:* ]] || fail "unexpected ciphertext format"
call POST /transit/decrypt "{\"key\": \"smoke\", \"ciphertext\": \"$CT\"}" "${KEY[@]}"
expect_status 200
[[ "$(unb64 "$(json 'b.plaintext')")" == 'smoke plaintext' ]] || fail "decrypt round trip"
call POST /transit/rewrap "{\"key\": \"smoke\", \"ciphertext\": \"$CT\"}" "${KEY[@]}"
expect_status 200
expect_json 'b.ciphertext.startsWith("vault:v")' true
call POST /transit/datakey '{"key": "smoke", "type": "plaintext", "bits": 256}' "${KEY[@]}"
expect_status 200
expect_json 'Buffer.from(b.plaintext, "base64").length' 32
call POST /transit/datakey '{"key": "smoke", "type": "wrapped"}' "${KEY[@]}"
expect_status 200
expect_json '"plaintext" in b' false

step "failure: no credential"
call GET "/secrets/$P/db" ''
expect_error_code 401 UNAUTHENTICATED

step "failure: bad credential"
call GET "/secrets/$P/db" '' -H 'X-API-Key: not-a-valid-key-at-all'
expect_error_code 401 UNAUTHENTICATED

step "failure: missing scope (read-only key writes)"
call PUT "/secrets/$P/ro" '{"data": {"a": "b"}}' "${RO[@]}"
expect_error_code 403 FORBIDDEN

step "failure: another agent's path"
call GET "/secrets/../agent_jwt/$P" '' "${KEY[@]}" --path-as-is
[[ "$STATUS" == 400 || "$STATUS" == 404 ]] || fail "traversal was not refused: $STATUS"
call GET "/secrets/a%2F..%2F..%2Fagent_jwt%2Fx" '' "${KEY[@]}"
expect_error_code 400 INVALID_PATH

step "failure: bad input writes nothing"
call PUT "/secrets/$P/bad" '{"data": ' "${KEY[@]}"
expect_error_code 400 INVALID_INPUT
call PUT "/secrets/$P/bad" '{"data": {}}' "${KEY[@]}"
expect_error_code 400 INVALID_INPUT
call PUT "/secrets/$P/bad" '{"data": {"a": 1}, "unknown": true}' "${KEY[@]}"
expect_error_code 400 INVALID_INPUT
call GET "/secrets/$P/bad" '' "${KEY[@]}"
expect_error_code 404 SECRET_NOT_FOUND

step "permanent delete"
call DELETE "/secrets/$P/db:metadata" '' "${KEY[@]}"
expect_status 200
call GET "/secrets/$P/db:metadata" '' "${KEY[@]}"
expect_error_code 404 SECRET_NOT_FOUND

printf '\nsmoke: all steps passed\n'
