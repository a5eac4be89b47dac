#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, every tier:
#   sudo ./scripts/test-all.sh            (root: the real-component tiers need it)
# Installs what the tiers need (apt packages, npm ci), then runs, in order:
#   npm test            unit, render, program under Pulumi mocks (no root needed)
#   npm run test:e2e    strongSwan server + real clients in network namespaces
#   npm run test:acme   acme-client against Pebble, BIND (RFC 2136), a Linode API double
#   npm run test:hosts  the provisioning steps over SSH into a systemd Debian 12 container
# Any failing tier fails the run (the remaining tiers still run, so one report shows all).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo): the e2e, acme and hosts tiers create namespaces and containers" >&2
  exit 2
fi

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

set -e
step "install: apt packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates openssl iproute2 procps >/dev/null
for tier in e2e acme hosts; do
  step "install: $tier tier"
  bash "test/$tier/setup.sh"
done
step "install: npm ci"
npm ci --no-audit --no-fund
set +e

failed=()
for cmd in "test" "run test:e2e" "run test:acme" "run test:hosts"; do
  step "npm $cmd"
  start=$(date +%s)
  if npm $cmd; then
    echo "--- npm $cmd: passed in $(( $(date +%s) - start )) s"
  else
    echo "--- npm $cmd: FAILED after $(( $(date +%s) - start )) s"
    failed+=("npm $cmd")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall tiers passed\n'
