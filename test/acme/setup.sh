#!/bin/sh
# Setup for the acme tier (root, clean machine; idempotent). Installs:
#   pebble (+ pebble-challtestsrv)  a small ACME CA and a stand-in DNS server
#   bind9 (named)                    a real authoritative server with TSIG updates
#   openssl                          throwaway CA for the loopback HTTPS servers
# The tests start their own named/pebble on loopback; the bind9 package's system
# service is kept from starting (it would hold port 53) and left disabled.
# The tier's last test runs the strongSwan end-to-end harness, so the e2e tier's
# setup runs too.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export DEBIAN_FRONTEND=noninteractive
packages="pebble bind9 openssl ca-certificates"

. "$here/../lib/apt-install.sh"
install_missing $packages

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now named.service >/dev/null 2>&1 || true
fi

for bin in /usr/bin/pebble /usr/bin/pebble-challtestsrv /usr/sbin/named /usr/bin/openssl; do
  [ -x "$bin" ] || { echo "acme setup: $bin missing after install" >&2; exit 1; }
done

if [ -f "$here/../e2e/setup.sh" ]; then
  sh "$here/../e2e/setup.sh"
fi
echo "acme setup: ready"
