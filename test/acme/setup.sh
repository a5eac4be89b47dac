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

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary: acme tier setup keeps services from starting\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  trap '[ -z "$made_policy" ] || rm -f "$policy"' EXIT
  echo "acme setup: installing$missing"
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing || {
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
  }
fi

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
