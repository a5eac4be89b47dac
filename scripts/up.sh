#!/usr/bin/env bash
# Set up and deploy: `./scripts/up.sh [stack]` (default stack: dev).
# Uses a local file backend (./.pulumi-state) unless PULUMI_BACKEND_URL is set, and
# passphrase-encrypted secrets: export PULUMI_CONFIG_PASSPHRASE (or _FILE) first.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"

if ! command -v pulumi >/dev/null 2>&1; then
  echo "Pulumi CLI not found: installing it to ~/.pulumi/bin"
  curl -fsSL https://get.pulumi.com | sh
  export PATH="$HOME/.pulumi/bin:$PATH"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  echo "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts the stack's secrets" >&2
  exit 2
fi

npm ci --no-audit --no-fund
mkdir -p .pulumi-state
pulumi login "${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
pulumi stack select --create "$stack"
if ! pulumi config get linode:token >/dev/null 2>&1 && [ -z "${LINODE_TOKEN:-}" ]; then
  echo "no Linode token: run 'pulumi config set --secret linode:token <token>' (or export LINODE_TOKEN)" >&2
  exit 2
fi
pulumi up --yes --stack "$stack"
echo "profiles: npm run profiles -- --stack $stack --out profiles/"
