#!/bin/sh
# Setup for the engine tier (npm run test:engine) and scripts/sandbox.sh, run as root
# on a clean Debian 12 machine. Idempotent; installs packages only. The instances'
# image (the hosts tier's Debian 12 rootfs plus cloud-init, installed INTO the image,
# not on this machine) is built by the world itself when absent. The Pulumi CLI and
# its plugins are not apt packages: scripts/test-all.sh installs them the official way.
#   systemd-container  systemd-nspawn: every Linode instance is a Debian 12 container
#   debootstrap zstd   building / unpacking the cached image
#   iproute2 nftables  the world bridge, namespaces, Cloud Firewall enforcement, the NAT to the mirror
#   bind9              the authoritative DNS server of the world's zone
#   pebble             the ACME CA standing in for Let's Encrypt
#   openssl            the throwaway CA of Pebble's HTTPS listener
#   openssh-client     the tests reach instances over SSH (host-key checks, ssh-keyscan)
#   curl               the Pulumi installer
#   strongSwan         the VPN clients (one charon per client namespace)
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="systemd-container debootstrap zstd iproute2 nftables bind9 pebble openssl openssh-client curl ca-certificates
  charon-systemd strongswan-swanctl libcharon-extauth-plugins libcharon-extra-plugins
  libstrongswan-standard-plugins libstrongswan-extra-plugins"
. "$(cd "$(dirname "$0")" && pwd)/../lib/apt-install.sh"
# shellcheck disable=SC2086
install_missing $pkgs
