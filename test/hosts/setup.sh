#!/bin/sh
# Setup for the test-hosts tier (npm run test:hosts), run as root on a clean
# machine before the tests. Idempotent; installs packages only. The Debian 12
# rootfs the disposable hosts boot from is built by the tests themselves
# (debootstrap, cached under /var/cache/vpn-test-hosts) when it is absent.
#   systemd-container  systemd-nspawn: the disposable Debian 12 host
#   debootstrap zstd   building / unpacking the cached rootfs
#   openssh-client     the harness drives the host over SSH, as @pulumi/command does
#   iproute2 nftables  bridge, namespaces, the NAT that lets the host reach only the Debian mirror
#   openssl            the throwaway CA (test/lib/pki.ts)
#   strongSwan         the VPN clients (one charon per client namespace)
#   nmap               the "what answers from outside" scan
#   qemu-system-x86    the VM variant (Debian's kernel: ESP in the kernel); e2fsprogs makes its disk
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="systemd-container debootstrap zstd openssh-client iproute2 nftables openssl nmap qemu-system-x86 e2fsprogs
  charon-systemd strongswan-swanctl libcharon-extauth-plugins libcharon-extra-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins"
. "$(cd "$(dirname "$0")" && pwd)/../lib/apt-install.sh"
# shellcheck disable=SC2086
install_missing $pkgs
