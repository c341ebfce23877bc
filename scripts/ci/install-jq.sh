#!/usr/bin/env bash
# Installs jq (Debian package) for the test that runs docs/wrapping.md's curl examples; a no-op
# when it is present.
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
