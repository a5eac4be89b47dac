#!/usr/bin/env bash
# Certificate renewal from a runner outside vpn:sshAllowedCidrs (renew.yml).
#   STACK=<stack> [RUNNER_ADDRESS=<this runner's public IPv4>] scripts/gitops/renew.sh
# 1. `pulumi preview --expect-no-changes`: most days the certificate is outside its
#    renewal window, nothing would change, and nothing is opened.
# 2. Otherwise this runner's address (/32) is appended to vpn:sshAllowedCidrs in the
#    checkout's stack file only, and `pulumi up` applies it: the Cloud Firewall rule
#    is in place before the first SSH step runs (the steps depend on the firewall),
#    then the renewed certificate is pushed.
# 3. Always (trap): the address is removed again and a second `pulumi up` puts the
#    firewall back to the stack's list. If that fails, the next drift check names the
#    firewall (the rule is then in the state but not in the stack file).
# Where vpn:sshAllowedCidrs already admits everyone (the default), step 2 adds nothing.
set -euo pipefail
: "${STACK:?STACK names the stack}"
pulumi_() { pulumi "$@" --stack "$STACK" --non-interactive; }

if pulumi_ preview --expect-no-changes >/dev/null 2>&1; then
  echo "renew: nothing to do (no certificate inside its renewal window, no other change)"
  exit 0
fi

current="$(pulumi_ config get vpn:sshAllowedCidrs 2>/dev/null || echo '["0.0.0.0/0","::/0"]')"
if node -e 'process.exit(JSON.parse(process.argv[1]).some((c) => c === "0.0.0.0/0") ? 0 : 1)' "$current"; then
  echo "renew: vpn:sshAllowedCidrs admits every IPv4 address; no temporary rule needed"
  pulumi_ up --yes --message "certificate renewal"
  exit 0
fi

addr="${RUNNER_ADDRESS:-$(curl -fsS --max-time 20 https://checkip.amazonaws.com)}"
addr="$(printf '%s' "$addr" | tr -d '[:space:]')"
if ! [[ "$addr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
  echo "renew: could not tell this runner's public IPv4 address (got '$addr')" >&2
  exit 1
fi
index="$(node -e 'console.log(JSON.parse(process.argv[1]).length)' "$current")"

close() {
  status=$?
  echo "renew: removing the temporary SSH rule for $addr/32"
  pulumi_ config rm --path "vpn:sshAllowedCidrs[$index]" || status=1
  pulumi_ up --yes --message "certificate renewal: temporary SSH rule removed" || status=1
  exit "$status"
}
trap close EXIT
echo "renew: allowing SSH from this runner ($addr/32) for the length of this run"
pulumi_ config set --path "vpn:sshAllowedCidrs[$index]" "$addr/32"
pulumi_ up --yes --message "certificate renewal (temporary SSH rule for $addr/32)"
