#!/bin/sh
# Setup for the end-to-end tier (npm run test:e2e) and the benchmark (npm run bench),
# run as root on a clean Debian 12 machine before the tests. Idempotent; installs
# packages only.
#   charon-systemd strongswan-swanctl   the server and every client (one charon per namespace)
#   libcharon-extauth-plugins           eap-mschapv2
#   libcharon-extra-plugins             eap-identity, kernel-libipsec (kernels without ESP)
#   libstrongswan-*-plugins             the rest of what the server package list installs
#   nftables iproute2 procps            the rendered firewall, namespaces/veth/bridge, sysctl
#   openssl                             the throwaway CA (test/lib/pki.ts)
#   iputils-ping iperf3                 reachability checks; benchmark throughput
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="charon-systemd strongswan-swanctl libcharon-extauth-plugins libcharon-extra-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins
  nftables iproute2 procps openssl iputils-ping iperf3"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

# The packages would start host-wide services (strongswan, iperf3) where an init
# system runs; the tests start their own daemons inside namespaces and want none.
# A temporary policy-rc.d (removed again, unless one was already there) stops that.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ -z "$own_policy" ] || rm -f "$policy"' EXIT

apt-get -o DPkg::Lock::Timeout=600 -q update
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends $missing
