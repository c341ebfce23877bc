#!/usr/bin/env bash
# Installs redis-server (Debian package) for the shared rate-limit tests; a no-op when present.
# The package's own service is not needed: each test starts its own redis-server on loopback.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=''
[[ "$(id -u)" == 0 ]] || SUDO='sudo'
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# Debian starts the packaged service on install where an init runs; stop it if it did.
$SUDO service redis-server stop >/dev/null 2>&1 || true
command -v redis-server >/dev/null
