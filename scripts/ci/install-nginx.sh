#!/usr/bin/env bash
# Installs nginx (Debian package) for the mTLS end-to-end test; a no-op when it is present.
# The package's own service is not started: the test runs its own nginx on loopback.
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=''
[[ "$(id -u)" == 0 ]] || SUDO='sudo'
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends nginx-light openssl curl >/dev/null
# Debian starts the packaged service on install where systemd runs; stop it if it did.
$SUDO service nginx stop >/dev/null 2>&1 || true
command -v nginx >/dev/null
