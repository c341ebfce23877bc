#!/usr/bin/env bash
# Installs Chromium (Debian package) for the browser tests (playwright-core drives
# /usr/bin/chromium headless); a no-op when it is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=''
[[ "$(id -u)" == 0 ]] || SUDO='sudo'
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
