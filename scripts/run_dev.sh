#!/usr/bin/env bash
# Start the bridge with sensible dev settings: the embedded dev vault (in memory, data lost on
# exit) unless VAULT_ADDR is set, in which case it serves against that Vault. The demo
# credentials are refused there unless that Vault is a dev vault on loopback (exit 2); `serve`
# itself refuses them always, so against the dev vault they go to scripts/dev-serve.ts.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

export LOG_LEVEL="${LOG_LEVEL:-info}"
export API_KEYS_JSON="${API_KEYS_JSON:-$DEMO_API_KEYS_JSON}"
export JWT_HS256_SECRET="${JWT_HS256_SECRET:-$DEMO_JWT_SECRET}"
export RATE_LIMIT_REQUESTS="${RATE_LIMIT_REQUESTS:-600}"

if [[ -n "${VAULT_ADDR:-}" ]]; then
  refuse_demo_credentials run_dev.sh
  if [[ -n "$(demo_credentials_in_use)" ]]; then
    exec "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/dev-serve.ts"
  fi
  exec "$ROOT/node_modules/.bin/tsx" "$ROOT/src/main.ts" serve
else
  exec "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/dev.ts"
fi
