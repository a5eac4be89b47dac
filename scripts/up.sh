#!/usr/bin/env bash
# Set up and deploy one stack: `./scripts/up.sh [--yes] <stack>` (README, "The two commands").
# Checks what only the user can provide first (passphrase, stack file, token, Node.js,
# a terminal or --yes), then finds or installs the Pulumi CLI, runs npm ci, installs the
# provider plugins, selects (or creates) the stack and runs `pulumi up`, which shows the
# preview and asks; `--yes` is for pipelines. Ends with the lines that make a plain
# `pulumi up` work in the user's own shell.
# Errors: one line each, "up.sh: " first; exit 2 for something the user must change
# (usage, settings), 1 when a step failed. `--help`: the usage, exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: ./scripts/up.sh [--yes] <stack>
Deploys the stack <stack> (its settings: Pulumi.<stack>.yaml): checks the passphrase, the
stack file and the Linode token, finds or installs the Pulumi CLI, runs npm ci, installs the
provider plugins, creates the stack if it is new and runs pulumi up, which shows the preview
and asks before it changes anything. Use the same stack name in every later command.
  <stack>       the stack name (letters, digits, -, _ and .), e.g. mystack
  --yes, -y     deploy without asking (pipelines; needed when not run in a terminal)
  --help, -h    this text
Needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), LINODE_TOKEN (or the token
set in the stack) and Node.js 20.19 or newer. The backend is PULUMI_BACKEND_URL, else this
project's file backend ./.pulumi-state; it is passed to each pulumi command, never made the
machine's default with pulumi login. See the README, "The two commands".
Exit status:
  0  deployed
  1  a step failed (installing, npm ci, the plugins, pulumi itself)
  2  a usage error, or something to set first
EOF
}

# One line: control characters never reach the terminal.
die() {
  local code=$1
  shift
  printf 'up.sh: %s\n' "$(printf '%s' "$*" | LC_ALL=C tr '\001-\037\177' '?')" >&2
  exit "$code"
}

# A value inside double quotes for a line the user pastes into a shell (printf %q when
# double quotes would not keep it as it is).
dquote() {
  case "$1" in
    *[\"\$\`\\]*) printf '%q' "$1" ;;
    *) printf '"%s"' "$1" ;;
  esac
}

yes=false
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -y | --yes) yes=true ;;
    --) shift; names+=("$@"); break ;;
    -*) die 2 "unknown option $1 (./scripts/up.sh --help for the usage)" ;;
    *) names+=("$1") ;;
  esac
  shift
done
# No default stack: the committed Pulumi.dev.yaml is an example, and a name the user chose
# is the one every later command (and every hint below) uses.
case ${#names[@]} in
  0) die 2 "usage: ./scripts/up.sh [--yes] <stack>: name the stack to deploy, e.g. mystack for Pulumi.mystack.yaml (./scripts/up.sh --help for more)" ;;
  1) stack=${names[0]} ;;
  *) die 2 "one stack name, got ${#names[@]}: ${names[*]}" ;;
esac
[[ $stack =~ ^[A-Za-z0-9_.-]+$ ]] || die 2 "\"$stack\" is not a stack name (letters, digits, -, _ and . only)"
rerun="./scripts/up.sh $stack"
if $yes; then rerun="./scripts/up.sh --yes $stack"; fi

# 1. What only the user can provide, before anything slow or networked. Every hint is a
#    command that works now (no pulumi command: no CLI, backend or stack may exist yet).
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  die 2 "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), it encrypts the secrets of the stack: 'export PULUMI_CONFIG_PASSPHRASE=\"<a long passphrase>\"', then '$rerun'"
fi
[ -f "Pulumi.$stack.yaml" ] || die 2 "no Pulumi.$stack.yaml: 'cp Pulumi.dev.yaml Pulumi.$stack.yaml', set vpn:zone, vpn:hostname and vpn:users in it, then '$rerun'"
# The token: in the environment, or stored (encrypted) in the stack file by `pulumi config set --secret`.
if [ -z "${LINODE_TOKEN:-}" ] && ! grep -qE '^[[:space:]]+linode:token:' "Pulumi.$stack.yaml"; then
  die 2 "no Linode token: 'export LINODE_TOKEN=\"<token>\"' (a personal access token with read/write for Linodes, IPs, Firewalls and Domains: https://cloud.linode.com/profile/tokens), then '$rerun'"
fi
# package.json engines: >=20.19 (Debian 12's own nodejs package is 18: take Node from nodejs.org or NodeSource).
node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 20 || (a === 20 && b >= 19) ? "yes" : process.versions.node)' 2>/dev/null || echo "none")
[ "$node_ok" = yes ] || die 2 "Node.js 20.19 or newer is needed, found ${node_ok/none/no node on PATH} (https://nodejs.org/en/download, or the NodeSource packages)"

# 2. The backend, for this project only. It goes to every pulumi command below as
#    PULUMI_BACKEND_URL; never `pulumi login`, which would switch the backend of every other
#    Pulumi project on this machine. Default: this checkout's file backend ./.pulumi-state.
#    A backend given in PULUMI_BACKEND_URL (a shared one: a bucket, Pulumi Cloud) is recorded
#    in .pulumi-state/backend-url (untracked, this checkout only), and later runs use it and
#    refuse another one, so a run that forgot the variable cannot create a second, empty
#    copy of the stack in the local backend and deploy every server again. (Pulumi.yaml's
#    `backend: url:` is committed, for every checkout: a file:// path is this machine's.)
local_backend="file://$PWD/.pulumi-state"
record=.pulumi-state/backend-url
recorded=""
[ ! -f "$record" ] || recorded=$(<"$record")
if [ -n "${PULUMI_BACKEND_URL:-}" ]; then
  if [ -n "$recorded" ] && [ "$PULUMI_BACKEND_URL" != "$recorded" ]; then
    die 2 "PULUMI_BACKEND_URL is $PULUMI_BACKEND_URL but the stacks of this project are in $recorded (recorded in $record by an earlier run): 'unset PULUMI_BACKEND_URL' to use that, or move the stacks first (README, \"The two commands\") and delete $record"
  fi
  backend=$PULUMI_BACKEND_URL
else
  backend=${recorded:-$local_backend}
fi
export PULUMI_BACKEND_URL=$backend

# 3. The first `pulumi up` shows the preview and asks; without a terminal it cannot ask.
if ! $yes && ! { [ -t 0 ] && [ -t 1 ]; }; then
  die 2 "not a terminal, so pulumi up cannot show the preview and ask: run this in a terminal, or deploy without asking (pipelines) with './scripts/up.sh --yes $stack'"
fi
echo "Stack $stack (Pulumi.$stack.yaml), backend $backend" >&2

# 4. The CLI: on PATH, where the installer puts it, or installed now. The installer runs
#    with --no-edit-path (scripts/lib/pulumi-cli.sh, shared with scripts/test-all.sh, which
#    must not edit profiles), so when `pulumi` is not on the user's PATH, up.sh prints the
#    exact line that puts it there, now and again at the end.
# shellcheck source=scripts/lib/pulumi-cli.sh
. scripts/lib/pulumi-cli.sh
path_line() { # the PATH line for a bin dir; $HOME/.pulumi/bin as the official installer writes it
  # shellcheck disable=SC2016 # $HOME and $PATH are for the user's shell to expand
  case "$1" in
    "$HOME/.pulumi/bin") printf '%s' 'export PATH="$HOME/.pulumi/bin:$PATH"' ;;
    *[\"\$\`\\]*) printf 'export PATH=%q:"$PATH"' "$1" ;;
    *) printf 'export PATH="%s:$PATH"' "$1" ;;
  esac
}
install_root=${PULUMI_HOME:-$HOME/.pulumi}
user_path=$PATH # find_pulumi adds the CLI's directory to this script's PATH only
if ! find_pulumi; then
  echo "Pulumi CLI not found: installing it with the official installer (get.pulumi.com) in $install_root" >&2
  if ! install_pulumi; then
    by_hand="curl -fsSL https://get.pulumi.com | sh -s -- --version $(pulumi_sdk_version)"
    [ -z "${PULUMI_HOME:-}" ] || by_hand+=" --install-root $(dquote "$PULUMI_HOME")"
    die 1 "could not install the Pulumi CLI ($PULUMI_INSTALL_ERROR). Install it by hand (https://www.pulumi.com/docs/iac/download-install/, or, with curl installed, '$by_hand'), put it on your PATH ('$(path_line "$install_root/bin")'), then '$rerun'"
  fi
fi
want_path_line=""
if [[ ":$user_path:" != *":$(dirname "$PULUMI"):"* ]]; then
  want_path_line=$(path_line "$(dirname "$PULUMI")")
  echo "The Pulumi CLI is in $(dirname "$PULUMI"), not on your PATH. For a plain pulumi in this and every new shell, run this line and add it to your shell's profile (~/.bashrc, ~/.zshrc):" >&2
  echo "  $want_path_line" >&2
fi
echo "Using pulumi $("$PULUMI" version) at $PULUMI" >&2

# 5. Dependencies (no install scripts: .npmrc) and the provider plugins at the SDKs' versions.
npm ci --no-audit --no-fund || die 1 "npm ci failed (its output is above); then '$rerun'"
install_plugins || die 1 "could not install the provider plugins ($PULUMI_INSTALL_ERROR); then '$rerun'"

# 6. The stack (created with the passphrase secrets provider on every backend, as the
#    passphrase check above assumes), then the deployment.
[ "$backend" != "$local_backend" ] || mkdir -p .pulumi-state
"$PULUMI" stack select --create --secrets-provider passphrase "$stack" ||
  die 1 "could not select or create the stack $stack in $backend (the output of pulumi is above)"
if [ "$backend" != "$local_backend" ] && [ "$backend" != "$recorded" ]; then
  mkdir -p .pulumi-state
  printf '%s\n' "$backend" >"$record"
fi
up_args=(up --stack "$stack")
if $yes; then up_args=(up --yes --stack "$stack"); fi
"$PULUMI" "${up_args[@]}" ||
  die 1 "pulumi up did not complete for stack $stack (declined, or failed: its output is above); when ready, '$rerun'"

# 7. What makes the next plain `pulumi up` work in the user's own shell.
echo
profile_note=""
[ -z "$want_path_line" ] || profile_note="; add the PATH line to your shell's profile too"
echo "Stack $stack is deployed. Every later change, from this directory, in a shell with PULUMI_CONFIG_PASSPHRASE and the Linode token set as for this run$profile_note:"
[ -z "$want_path_line" ] || echo "  $want_path_line"
echo "  export PULUMI_BACKEND_URL=$(dquote "$backend")"
echo "  pulumi up --stack $stack"
echo "The users' client profiles:"
echo "  npm run profiles -- --stack $stack --out profiles/"
