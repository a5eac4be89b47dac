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
#   unbound                             the server's resolver (the rendered fragment, resolver.test.ts)
#   bind9 bind9-utils                   the test root it resolves from (named, dnssec-keygen/-signzone)
#   freeradius freeradius-utils sqlite3 the user lifecycle's RADIUS server, radclient, its database (aaa.test.ts)
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="charon-systemd strongswan-swanctl libcharon-extauth-plugins libcharon-extra-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins
  nftables iproute2 procps openssl iputils-ping iperf3 unbound bind9 bind9-utils
  freeradius freeradius-utils sqlite3"
. "$(cd "$(dirname "$0")" && pwd)/../lib/apt-install.sh"
# shellcheck disable=SC2086
install_missing $pkgs
