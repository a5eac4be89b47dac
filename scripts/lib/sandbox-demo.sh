# Sourced by scripts/sandbox.sh: `sandbox.sh demo`, the whole tour a new user takes
# (start, a stack, pulumi up, the profiles, a device connecting through the VPN,
# status, then destroy and stop), each step printed as the command a user would type.
# It drives the sandbox through sandbox.sh's own commands and uses its helpers and
# settings: die, usage_error, need_root, $repo, $dir.
#   cmd_demo [--stack S] [--yes | --keep]
# shellcheck shell=bash
# shellcheck disable=SC2154 # repo and dir are set by scripts/sandbox.sh

# One step of the demo: its title, then the command as a user would type it.
demo_step() {
  printf '\n==> %s\n' "$1" >&2
}
demo_show() {
  printf '    $ %s\n' "$*" >&2
}

cmd_demo() {
  local stack=demo answer="" arg
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$arg" in
      --yes) [ "$answer" = "" ] || usage_error "--yes and --keep exclude each other"; answer=yes ;;
      --keep) [ "$answer" = "" ] || usage_error "--yes and --keep exclude each other"; answer=keep ;;
      --stack)
        [ $# -gt 0 ] && [ -n "$1" ] || usage_error "--stack needs a value"
        stack=$1
        shift
        ;;
      --stack=?*) stack=${arg#--stack=} ;;
      *) usage_error "demo: unknown argument '$arg' (see sandbox.sh --help)" ;;
    esac
  done
  [[ "$stack" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$ ]] || usage_error "--stack $stack: letters, digits, _ . - only"
  need_root demo
  # shellcheck source=lib/pulumi-cli.sh
  . "$repo/scripts/lib/pulumi-cli.sh"
  (cd "$repo" && find_pulumi) || usage_error "demo needs the Pulumi CLI and its plugins: install them as the README's \"The two commands\" says (./scripts/up.sh installs both)"
  find_pulumi
  local missing
  missing=$(cd "$repo" && missing_plugins)
  [ -z "$missing" ] || usage_error "demo needs the provider plugins: missing $(echo "$missing" | tr '\n' ',' | sed 's/,$//'); install them with pulumi plugin install resource <name> <version>"
  local t0=$SECONDS t figures=""
  figure() { figures+="$(printf '  %-34s %4d s' "$1" "$2")"$'\n'; }

  demo_step "1. start the sandbox (a local Linode API, DNS and Let's Encrypt stand-in)"
  demo_show 'eval "$(scripts/sandbox.sh start)"'
  t=$SECONDS
  local exports
  exports=$("$repo/scripts/sandbox.sh" start) || die "demo: the sandbox did not start"
  eval "$exports"
  figure "start" $((SECONDS - t))

  demo_step "2. a stack '$stack' in the sandbox's backend, with one user, alice"
  # A scratch project (links to this checkout), so the stack file stays out of the
  # repository; stop removes it with the sandbox's state.
  local project="$dir/demo-project" f
  mkdir -p "$project"
  for f in index.ts program.ts config model components templates node_modules package.json tsconfig.json tsconfig.program.json; do
    ln -sfn "$repo/$f" "$project/$f"
  done
  cp "$repo/Pulumi.yaml" "$project/Pulumi.yaml"
  export PULUMI_SKIP_UPDATE_CHECK=true
  t=$SECONDS
  demo_show "pulumi stack init $stack"
  (cd "$project" && { "$PULUMI" stack select "$stack" --non-interactive 2>/dev/null || "$PULUMI" stack init "$stack" --non-interactive; }) >&2 || die "demo: pulumi stack init $stack failed"
  local kv
  for kv in "vpn:zone=$SANDBOX_ZONE" "vpn:hostname=vpn.$SANDBOX_ZONE" "vpn:users[0]=alice" "vpn:acmeServer=$SANDBOX_ACME_SERVER" "vpn:acmeDnsResolvers[0]=$SANDBOX_DNS"; do
    demo_show "pulumi config set --path '${kv%%=*}' '${kv#*=}'"
    (cd "$project" && "$PULUMI" config set --plaintext --path "${kv%%=*}" "${kv#*=}" --stack "$stack" --non-interactive) >&2 || die "demo: pulumi config set ${kv%%=*} failed"
  done
  figure "stack and config" $((SECONDS - t))

  demo_step "3. pulumi up: a Linode, its firewall, DNS records, the certificate, strongSwan"
  demo_show "pulumi up --stack $stack"
  t=$SECONDS
  (cd "$project" && "$PULUMI" up --yes --stack "$stack" --non-interactive) >&2 || die "demo: pulumi up failed (output above); clean up with: scripts/sandbox.sh stop"
  figure "pulumi up" $((SECONDS - t))

  demo_step "4. the profiles of every user"
  local out="$dir/demo-profiles"
  demo_show "npm run profiles -- --stack $stack --out $out"
  t=$SECONDS
  (cd "$repo" && node --require ts-node/register/transpile-only scripts/profiles.ts --stack "$stack" --out "$out") >&2 || die "demo: npm run profiles failed"
  figure "profiles" $((SECONDS - t))
  local profile
  profile=$(find "$out" -path '*/profiles/alice/alice.swanctl.conf' | sort | head -n 1)
  [ -n "$profile" ] || die "demo: no alice.swanctl.conf under $out"

  demo_step "5. a device connects with alice's generated profile and reaches the sandbox's Internet"
  # The upstream's whoami service answers with the address it sees: over IPv4 the
  # server's (NAT), over IPv6 the device's own tunnel address (routed).
  local probe='for a in 203.0.113.2 2001:db8:7700::2; do printf "upstream %s sees this device as: " "$a"; timeout 10 bash -c "exec 3<>/dev/tcp/$a/8080 && cat <&3" || { echo "no answer"; exit 1; }; done'
  demo_show "scripts/sandbox.sh connect $profile --run '<ask the upstream who we are, over IPv4 and IPv6>'"
  t=$SECONDS
  "$repo/scripts/sandbox.sh" connect "$profile" --stack "$stack" --run "$probe" >&2 || die "demo: the device did not get through (output above)"
  figure "connect and reach the upstream" $((SECONDS - t))

  demo_step "6. status"
  demo_show "scripts/sandbox.sh status"
  "$repo/scripts/sandbox.sh" status >&2 || die "demo: sandbox.sh status failed"

  local ans="$answer"
  if [ -z "$ans" ]; then
    if [ -t 0 ]; then
      read -r -p "Destroy the stack '$stack' and stop the sandbox? [y/N] " ans || ans=""
      case "$ans" in [yY]*) ans=yes ;; *) ans=keep ;; esac
    else
      ans=keep
    fi
  fi
  if [ "$ans" = yes ]; then
    demo_step "7. tear down"
    demo_show "pulumi destroy --stack $stack && scripts/sandbox.sh stop"
    t=$SECONDS
    (cd "$project" && "$PULUMI" destroy --yes --stack "$stack" --non-interactive) >&2 || die "demo: pulumi destroy failed; clean up with: scripts/sandbox.sh stop"
    "$repo/scripts/sandbox.sh" stop
    figure "destroy and stop" $((SECONDS - t))
  else
    echo "sandbox: kept: the sandbox runs and stack '$stack' is up. Connect again with: scripts/sandbox.sh connect alice --stack $stack; remove everything with: scripts/sandbox.sh stop" >&2
  fi
  printf '\nsandbox demo: done in %d s\n%s' $((SECONDS - t0)) "$figures" >&2
}
