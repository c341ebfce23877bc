#!/usr/bin/env bash
# agent_mtls (client-certificate identity in the headers a TLS proxy sends with the proxy secret)
# works in its namespace and cannot reach the others'. Needs a bridge started with npm start or
# scripts/run_all_auth.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
creds_for agent_mtls
isolation_check agent_mtls

step "a failed verification from the proxy is not an identity"
call GET /whoami '' -H "X-SSL-Client-S-DN: CN=agent_mtls" -H 'X-SSL-Client-Verify: FAILED:unknown ca' \
  -H "X-Mtls-Proxy-Secret: $DEMO_MTLS_PROXY_SECRET"
expect_error_code 401 UNAUTHENTICATED

step "identity headers without the proxy secret are not an identity"
call GET /whoami '' -H "X-SSL-Client-S-DN: CN=agent_mtls" -H 'X-SSL-Client-Verify: SUCCESS'
expect_error_code 401 UNAUTHENTICATED
