#!/usr/bin/env bash
# agent_api (API key) works in its namespace and cannot reach agent_jwt's or agent_mtls's.
# Needs a bridge started with npm start or scripts/run_all_auth.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
creds_for agent_api
isolation_check agent_api
