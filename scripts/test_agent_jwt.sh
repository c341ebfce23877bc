#!/usr/bin/env bash
# agent_jwt (HS256 JWT from scripts/gen_jwt) works in its namespace and cannot reach the others'.
# Needs a bridge started with npm start or scripts/run_all_auth.sh.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
creds_for agent_jwt
isolation_check agent_jwt
