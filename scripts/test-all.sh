#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, every tier:
#   ./scripts/test-all.sh                 (as root: the real-component tiers need it; sudo works too)
# Installs what the tiers need (apt packages, npm ci), then runs, in order:
#   npm test            unit, render, program under Pulumi mocks (no root needed)
#   npm run test:e2e    strongSwan server + real clients in network namespaces
#   npm run test:acme   acme-client against Pebble, BIND (RFC 2136), a Linode API double
#   npm run test:hosts  the provisioning steps over SSH into a systemd Debian 12 container
#   npm run test:engine the real `pulumi` CLI and plugins against a local Linode world
#                       (skipped, loudly, when no CLI can be found or installed)
# Any failing tier fails the run (the remaining tiers still run, so one report shows all).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (or with sudo): the e2e, acme, hosts and engine tiers create namespaces and containers" >&2
  exit 2
fi

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

set -e
step "install: apt packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck: actionlint (test/unit/workflows.test.ts) lints the workflows' run: blocks with it.
apt-get install -y -qq --no-install-recommends ca-certificates openssl iproute2 procps shellcheck >/dev/null
for tier in e2e acme hosts engine; do
  step "install: $tier tier"
  bash "test/$tier/setup.sh"
done
step "install: npm ci"
npm ci --no-audit --no-fund
set +e

# The engine tier needs the Pulumi CLI and the provider plugins at exactly the npm
# SDKs' versions. Looked for where an installed CLI keeps them (PATH, then
# ${PULUMI_HOME:-~/.pulumi}/bin); where absent, installed the official way
# (https://www.pulumi.com/docs/iac/download-install/: the get.pulumi.com installer,
# `pulumi plugin install`), bounded in time (scripts/lib/pulumi-cli.sh, shared with
# up.sh). No CLI: the tier is skipped. A CLI without every plugin: the tier runs what
# needs only the CLI (config checks, the dynamic providers against the local Linode)
# and skips the full VPN flow, each file saying why.
step "install: engine tier (pulumi CLI and plugins)"
. scripts/lib/pulumi-cli.sh
engine_skip=""
engine_partial=""
if ! find_pulumi; then
  echo "no pulumi CLI found: trying the official installer (pulumi $(pulumi_sdk_version))"
  install_pulumi || engine_skip="no pulumi on PATH nor in ${PULUMI_HOME:-$HOME/.pulumi}/bin, and the official installer failed: $PULUMI_INSTALL_ERROR"
fi
if [ -z "$engine_skip" ]; then
  echo "pulumi: $("$PULUMI" version) at $PULUMI"
  if ! install_plugins; then
    echo "plugins: $PULUMI_INSTALL_ERROR"
  fi
  still_missing="$(missing_plugins | tr '\n' ' ')"
  [ -z "$still_missing" ] || engine_partial="plugins not installed: ${still_missing% }"
fi

# How many engine cases ran, from node's test runner summary ("ℹ tests N", "ℹ pass N",
# "ℹ skipped N"), and how many of them were the full VPN flow (the cases nested under
# test/engine/vpn.test.ts's suite; a skipped suite counts as none).
engine_cases() {
  awk '
    /^ℹ tests / { tests = $3 } /^ℹ pass / { pass = $3 } /^ℹ skipped / { skipped = $3 }
    /^▶ the real pulumi engine on the local Linode/ { inflow = 1; next }
    inflow && /^(✔|✖) the real pulumi engine on the local Linode/ { inflow = 0 }
    inflow && /^  ✔ / && !/# SKIP/ { flow++ }
    END { printf "engine: %d cases ran, %d passed, %d skipped; full VPN flow: %d cases passed\n", tests - skipped, pass, skipped, flow }
  ' "$1"
}

failed=()
skipped=()
engine_summary=""
for cmd in "test" "run test:e2e" "run test:acme" "run test:hosts" "run test:engine"; do
  step "npm $cmd"
  if [ "$cmd" = "run test:engine" ] && [ -n "$engine_skip" ]; then
    echo "engine: SKIPPED — $engine_skip"
    skipped+=("engine")
    continue
  fi
  if [ "$cmd" = "run test:engine" ] && [ -n "$engine_partial" ]; then
    echo "engine: PARTLY SKIPPED — the full VPN flow needs every provider plugin ($engine_partial)"
    skipped+=("engine (full VPN flow: $engine_partial)")
  fi
  start=$(date +%s)
  log="$(mktemp)"
  if npm $cmd 2>&1 | tee "$log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    echo "--- npm $cmd: passed in $(( $(date +%s) - start )) s"
  else
    echo "--- npm $cmd: FAILED after $(( $(date +%s) - start )) s"
    failed+=("npm $cmd")
  fi
  if [ "$cmd" = "run test:engine" ]; then engine_summary="$(engine_cases "$log")"; echo "$engine_summary"; fi
  rm -f "$log"
done

[ -z "$engine_summary" ] || printf '\n%s\n' "$engine_summary"
for tier in "${skipped[@]}"; do echo "$tier: skipped"; done
if [ ${#failed[@]} -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
if [ ${#skipped[@]} -gt 0 ]; then
  printf '\nall tiers that ran passed (skipped: %s)\n' "${skipped[*]}"
else
  printf '\nall tiers passed\n'
fi
