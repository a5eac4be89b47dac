#!/usr/bin/env bash
# `pulumi up` for the pipelines (pulumi.yml's up, renew.yml), only when something
# would change.
#   STACK=<stack> scripts/gitops/up.sh [message]
# `pulumi preview --expect-no-changes` first: on most renewal days no certificate is
# inside its renewal window and nothing runs, so nothing needs SSH. When something
# would change, `pulumi up`. Pushing files (a renewed certificate, changed users or
# settings) goes over SSH, and vpn:sshAllowedCidrs is enforced twice: by the Cloud
# Firewall and by the server's own nftables (templates/nftables.conf.ejs, set
# ssh_v4/ssh_v6). So the runner must have an address in that list: a self-hosted
# runner at an operator's address, or a GitHub larger runner with a static IP range
# (docs/gitops.md, "Renewal without opening SSH to the world"). A rule for a hosted
# runner's changing address cannot be added for the length of a run: the server's
# nftables would need the push it is meant to allow.
set -euo pipefail
: "${STACK:?STACK names the stack}"
message="${1:-pulumi up}"

if pulumi preview --expect-no-changes --stack "$STACK" --non-interactive >/dev/null 2>&1; then
  echo "up: nothing to do (no certificate inside its renewal window, no other change)"
  exit 0
fi
pulumi up --yes --message "$message" --stack "$STACK" --non-interactive
