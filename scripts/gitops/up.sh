#!/usr/bin/env bash
# `pulumi up` from a runner outside vpn:sshAllowedCidrs (pulumi.yml's up, renew.yml).
#   STACK=<stack> [RUNNER_ADDRESS=<this runner's public IPv4>] scripts/gitops/up.sh [message]
# Only pushing files to the servers needs SSH (a renewed certificate, changed users or
# settings); GitHub's runners have no fixed addresses. So:
# 1. `pulumi preview --expect-no-changes`: when nothing would change (most renewal
#    days: no certificate inside its window), stop; nothing is opened.
# 2. Otherwise this runner's address (/32) is appended to vpn:sshAllowedCidrs in the
#    checkout's stack file only, and `pulumi up` applies it: the Cloud Firewall rule
#    is in place before the first SSH step runs (the steps depend on the firewall).
# 3. Always (trap): the address is removed again and a second `pulumi up`, targeted
#    at the Cloud Firewalls only (so a failed push is not retried without SSH), puts
#    them back to the stack's list. If that fails, the next drift check names the
#    firewall (the rule is then in the state but not in the stack file).
# Nothing is added where vpn:sshAllowedCidrs already admits every IPv4 address (the
# default) or this exact address.
set -euo pipefail
: "${STACK:?STACK names the stack}"
message="${1:-pulumi up}"
pulumi_() { pulumi "$@" --stack "$STACK" --non-interactive; }

if pulumi_ preview --expect-no-changes >/dev/null 2>&1; then
  echo "up: nothing to do (no certificate inside its renewal window, no other change)"
  exit 0
fi

addr="${RUNNER_ADDRESS:-$(curl -fsS --max-time 20 https://checkip.amazonaws.com)}"
addr="$(printf '%s' "$addr" | tr -d '[:space:]')"
if ! [[ "$addr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
  echo "up: could not tell this runner's public IPv4 address (got '$addr')" >&2
  exit 1
fi
current="$(pulumi_ config get vpn:sshAllowedCidrs 2>/dev/null || echo '["0.0.0.0/0","::/0"]')"
if node -e 'process.exit(JSON.parse(process.argv[1]).some((c) => c === "0.0.0.0/0" || c === process.argv[2]) ? 0 : 1)' "$current" "$addr/32"; then
  echo "up: vpn:sshAllowedCidrs already admits $addr; no temporary rule"
  pulumi_ up --yes --message "$message"
  exit 0
fi
index="$(node -e 'console.log(JSON.parse(process.argv[1]).length)' "$current")"

close() {
  status=$?
  echo "up: removing the temporary SSH rule for $addr/32"
  pulumi_ config rm --path "vpn:sshAllowedCidrs[$index]" || status=1
  targets=()
  while IFS= read -r urn; do targets+=(--target "$urn"); done < <(pulumi_ stack export |
    node -e 'const d = JSON.parse(require("node:fs").readFileSync(0, "utf8")); for (const r of d.deployment.resources ?? []) if (r.type === "linode:index/firewall:Firewall") console.log(r.urn)')
  if [ ${#targets[@]} -gt 0 ]; then
    pulumi_ up --yes "${targets[@]}" --message "$message (temporary SSH rule removed)" || status=1
  fi
  exit "$status"
}
trap close EXIT
echo "up: allowing SSH from this runner ($addr/32) for the length of this run"
pulumi_ config set --path "vpn:sshAllowedCidrs[$index]" "$addr/32"
pulumi_ up --yes --message "$message (temporary SSH rule for $addr/32)"
