#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, every tier:
#   sudo ./scripts/test-all.sh            (root: the real-component tiers need it)
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
  echo "run as root (sudo): the e2e, acme and hosts tiers create namespaces and containers" >&2
  exit 2
fi

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

set -e
step "install: apt packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates openssl iproute2 procps >/dev/null
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
# (https://www.pulumi.com/docs/install/: the get.pulumi.com installer,
# `pulumi plugin install`), bounded in time. Failing that, the tier is skipped.
step "install: engine tier (pulumi CLI and plugins)"
engine_skip=""
find_pulumi() {
  command -v pulumi 2>/dev/null && return 0
  local home_bin="${PULUMI_HOME:-$HOME/.pulumi}/bin/pulumi"
  [ -x "$home_bin" ] && echo "$home_bin"
}
pulumi_bin="$(find_pulumi)"
if [ -z "$pulumi_bin" ]; then
  sdk_version="$(node -p 'require("./node_modules/@pulumi/pulumi/package.json").version')"
  echo "no pulumi CLI found: trying the official installer (pulumi $sdk_version)"
  if timeout 180 sh -c "curl -fsSL --connect-timeout 10 --max-time 60 https://get.pulumi.com | sh -s -- --version '$sdk_version' --install-root '${PULUMI_HOME:-$HOME/.pulumi}' --no-edit-path"; then
    pulumi_bin="$(find_pulumi)"
  fi
  [ -n "$pulumi_bin" ] || engine_skip="no pulumi on PATH nor in ${PULUMI_HOME:-$HOME/.pulumi}/bin, and the installer (get.pulumi.com) failed"
fi
if [ -z "$engine_skip" ]; then
  export PATH="$(dirname "$pulumi_bin"):$PATH"
  installed="$(pulumi plugin ls --json 2>/dev/null || echo '[]')"
  for plugin in $(node -e '
      for (const p of ["linode", "command", "tls", "random"]) {
        const j = require(`./node_modules/@pulumi/${p}/package.json`);
        console.log(`${(j.pulumi && j.pulumi.name) || p}@${(j.pulumi && j.pulumi.version) || j.version}`);
      }'); do
    name="${plugin%@*}" version="${plugin#*@}"
    if INSTALLED="$installed" node -e '
        const [n, v] = process.argv.slice(1);
        process.exit(JSON.parse(process.env.INSTALLED).some((p) => p.kind === "resource" && p.name === n && p.version.replace(/^v/, "") === v) ? 0 : 1);' "$name" "$version"; then
      echo "plugin resource $name $version: installed"
    elif timeout 300 pulumi plugin install resource "$name" "$version"; then
      echo "plugin resource $name $version: installed now"
    else
      engine_skip="${engine_skip:+$engine_skip; }plugin resource $name $version missing and \`pulumi plugin install\` failed"
    fi
  done
fi

failed=()
skipped=()
for cmd in "test" "run test:e2e" "run test:acme" "run test:hosts" "run test:engine"; do
  step "npm $cmd"
  if [ "$cmd" = "run test:engine" ] && [ -n "$engine_skip" ]; then
    echo "engine: SKIPPED — no pulumi CLI: $engine_skip"
    skipped+=("engine")
    continue
  fi
  start=$(date +%s)
  if npm $cmd; then
    echo "--- npm $cmd: passed in $(( $(date +%s) - start )) s"
  else
    echo "--- npm $cmd: FAILED after $(( $(date +%s) - start )) s"
    failed+=("npm $cmd")
  fi
done

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
