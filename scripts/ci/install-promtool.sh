#!/usr/bin/env bash
# Installs promtool, from Debian's prometheus package, for the alert-rule tests
# (test/integration/alert-rules.external.test.ts); a no-op when present. Only the promtool binary is
# unpacked to /usr/local/bin: installing the package would also start a Prometheus server.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=''
[[ "$(id -u)" == 0 ]] || SUDO='sudo'
work="$(mktemp -d)"
chmod 0755 "$work" # apt-get download runs as the _apt user
trap 'rm -rf "$work"' EXIT
$SUDO apt-get update -qq
(cd "$work" && apt-get download -qq prometheus)
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
$SUDO install -m 0755 "$work/root/usr/bin/promtool" /usr/local/bin/promtool
promtool --version >/dev/null
