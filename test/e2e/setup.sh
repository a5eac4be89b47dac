#!/bin/sh
# Setup for the end-to-end tier (npm run test:e2e) and the benchmark (npm run bench),
# run as root on a clean Debian 12 machine before the tests. Idempotent; installs
# packages only (and keeps nginx's own service stopped and disabled).
#   charon-systemd strongswan-swanctl   the server and every client (one charon per namespace)
#   libcharon-extauth-plugins           eap-mschapv2
#   libcharon-extra-plugins             eap-identity, kernel-libipsec (kernels without ESP)
#   libstrongswan-*-plugins             the rest of what the server package list installs
#   nftables iproute2 procps            the rendered firewall, namespaces/veth/bridge, sysctl
#   openssl                             the throwaway CA (test/lib/pki.ts)
#   iputils-ping iperf3                 reachability checks; benchmark throughput
#   unbound                             the server's resolver (the rendered fragment, resolver.test.ts)
#   bind9 bind9-utils                   the test root it resolves from (named, dnssec-keygen/-signzone)
#   freeradius freeradius-utils sqlite3 the user lifecycle's RADIUS server, radclient, its database (aaa.test.ts)
#   nginx libnginx-mod-http-js          one-time profile links: the rendered site and njs handler (share.test.ts)
#   curl                                the device that fetches them
#   systemd                             systemd-tmpfiles for the rendered tmpfiles entry (systemd need not run)
# The tests run nginx in their own namespaces; the package's service is left stopped and disabled.
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="charon-systemd strongswan-swanctl libcharon-extauth-plugins libcharon-extra-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins
  nftables iproute2 procps openssl iputils-ping iperf3 unbound bind9 bind9-utils
  freeradius freeradius-utils sqlite3
  nginx libnginx-mod-http-js curl systemd"
. "$(cd "$(dirname "$0")" && pwd)/../lib/apt-install.sh"
# shellcheck disable=SC2086
install_missing $pkgs

# nginx: its postinst enables the service, and starts it (Debian's default site on
# port 80) where no policy-rc.d held it back, e.g. when it was installed before.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now --quiet nginx.service 2>/dev/null || true
else
  update-rc.d nginx disable >/dev/null 2>&1 || true
  if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
    nginx -s quit
  fi
fi
