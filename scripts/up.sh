#!/usr/bin/env bash
# Set up and deploy: `./scripts/up.sh [stack]` (default stack: dev).
# Checks what it needs first (passphrase, token), then finds or installs the Pulumi
# CLI, runs npm ci, logs in to the backend (a local file backend ./.pulumi-state
# unless PULUMI_BACKEND_URL is set), selects or creates the stack and runs pulumi up.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: ./scripts/up.sh [stack]   (needs PULUMI_CONFIG_PASSPHRASE and a Linode token; see the README, \"Deploy\")"
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
esac
stack="${1:-dev}"
fail() { echo "up.sh: $*" >&2; exit 2; }

# 1. What only the user can provide, before anything slow or networked.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  fail "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts the stack's secrets"
fi
[ -f "Pulumi.$stack.yaml" ] || fail "no Pulumi.$stack.yaml: copy Pulumi.dev.yaml to Pulumi.$stack.yaml and set vpn:zone, vpn:hostname and vpn:users"
# The token: in the environment, or stored (encrypted) in the stack file by `pulumi config set --secret`.
if [ -z "${LINODE_TOKEN:-}" ] && ! grep -qE '^[[:space:]]+linode:token:' "Pulumi.$stack.yaml"; then
  fail "no Linode token: export LINODE_TOKEN=<token> (or, with the CLI, 'pulumi config set --secret linode:token <token> --stack $stack')"
fi
# package.json engines: >=20.19 (Debian 12's own nodejs package is 18: take Node from nodejs.org or NodeSource).
node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 20 || (a === 20 && b >= 19) ? "yes" : process.versions.node)' 2>/dev/null || echo "none")
[ "$node_ok" = yes ] || fail "Node.js 20.19 or newer is needed, found ${node_ok/none/no node on PATH} (https://nodejs.org/en/download, or NodeSource's packages)"

# 2. The CLI: on PATH, where the installer puts it, or installed now.
. scripts/lib/pulumi-cli.sh
if ! find_pulumi; then
  echo "Pulumi CLI not found: installing it with the official installer (get.pulumi.com)" >&2
  if ! install_pulumi; then
    fail "could not install the Pulumi CLI ($PULUMI_INSTALL_ERROR). Install it by hand (https://www.pulumi.com/docs/iac/download-install/), make sure 'pulumi version' works, and run this again"
  fi
fi
echo "using $("$PULUMI" version) at $PULUMI" >&2

npm ci --no-audit --no-fund
install_plugins || fail "could not install the provider plugins ($PULUMI_INSTALL_ERROR)"

mkdir -p .pulumi-state
"$PULUMI" login "${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
"$PULUMI" stack select --create "$stack"
"$PULUMI" up --yes --stack "$stack"
echo "profiles: npm run profiles -- --stack $stack --out profiles/"
