#!/usr/bin/env bash
# Start the bridge with API key, JWT (HS256 and a local JWKS for RS256) and mTLS-header
# authentication all enabled, whatever the environment says, for the three demo agents
# agent_api (API key), agent_jwt (JWT) and agent_mtls (client certificate via a TLS proxy on
# loopback that proves itself with the demo proxy secret; the scripts play that proxy).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

export AUTH_API_KEY_ENABLED=true
export AUTH_JWT_ENABLED=true
export AUTH_MTLS_ENABLED=true
export API_KEYS_JSON="$DEMO_API_KEYS_JSON"
export JWT_HS256_SECRET="$DEMO_JWT_SECRET"
export JWT_JWKS_URL="http://localhost:${DEMO_JWKS_PORT}/.well-known/jwks.json"
export JWT_ISSUER="$DEMO_JWT_ISSUER"
export JWT_AUDIENCE="$DEMO_JWT_AUDIENCE"
export MTLS_MODE=header
export MTLS_TRUSTED_PROXIES="127.0.0.1/32,::1/128"
export MTLS_PROXY_SECRET="$DEMO_MTLS_PROXY_SECRET"
exec "$(dirname "$0")/run_dev.sh"
