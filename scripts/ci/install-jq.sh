#!/usr/bin/env bash
# Installs jq and curl (Debian packages) for the documents' curl examples that
# test/integration/newcomer-paths.process.test.ts runs (docs/curl.md, docs/wrapping.md); a no-op
# when they are present.
set -euo pipefail
if command -v jq >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=''
[[ "$(id -u)" == 0 ]] || SUDO='sudo'
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends jq curl >/dev/null
command -v jq >/dev/null
