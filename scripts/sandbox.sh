#!/usr/bin/env bash
# A local Linode world to try the program without a Linode account (root, Debian 12):
#   eval "$(scripts/sandbox.sh start)"   start the world; stdout is only `export K=V` lines
#   scripts/sandbox.sh status            what exists: instances, firewalls, ranges, records
#   scripts/sandbox.sh stop              remove every instance, namespace, process and file it made
#   scripts/sandbox.sh connect <profile.swanctl.conf | user> [--stack S] [--run <command...>]
#                                        a real strongSwan client in its own namespace, through the VPN
#   scripts/sandbox.sh demo [--yes | --keep]  the whole tour: start, stack, up, profiles, connect, status, destroy, stop
# The world (test/engine/world/daemon.ts) runs in the background; its state, log and
# pid live in $VPN_SANDBOX_DIR (default /var/lib/vpn-sandbox). Packages it needs:
# test/engine/setup.sh. Progress and errors go to stderr.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${VPN_SANDBOX_DIR:-/var/lib/vpn-sandbox}"
start_timeout="${VPN_SANDBOX_START_TIMEOUT:-900}"
pidfile="$dir/daemon.pid"
logfile="$dir/daemon.log"

usage() {
  cat <<'EOF'
usage: sandbox.sh start|status|stop|connect|demo
  start   start the local Linode world (root); prints shell-quoted export lines to eval:
          LINODE_URL LINODE_TOKEN PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE SANDBOX_ZONE
          SANDBOX_ACME_SERVER SANDBOX_CA SANDBOX_DNS NODE_EXTRA_CA_CERTS ...
  status  list what exists in the world (instances, firewalls, ranges, DNS records)
  stop    tear the world down completely (also after a crash)
  connect <profile.swanctl.conf | user> [--stack S] [--region R] [--timeout SEC] [--run <command...>]
          connect a real strongSwan client (its own network namespace, the sandbox's DNS,
          trusting the sandbox's CA) with that profile, or with the user's profile from
          stack S (default sandbox); print its tunnel addresses, then run the command in
          the namespace (default: a shell; one word or one quoted string is run by sh -c)
          and disconnect when it exits. Exit status: the command's, 1 if the tunnel does
          not come up.
  demo [--stack S] [--yes | --keep]
          the whole tour: start, a stack (default demo) with user alice, pulumi up, the
          profiles, connect with alice's generated profile and reach the sandbox's
          upstream over IPv4 and IPv6, status, then destroy and stop: asked on a
          terminal, done with --yes, skipped with --keep (and without a terminal)
environment: VPN_SANDBOX_DIR (state dir, default /var/lib/vpn-sandbox), VPN_SANDBOX_START_TIMEOUT (s, default 900)
exit status: 0 done, 1 failed, 2 a usage error (one line), 3 status: not running
EOF
}

die() {
  echo "sandbox: $*" >&2
  exit 1
}

# The caller's mistake: one line, exit 2.
usage_error() {
  echo "sandbox: $*" >&2
  exit 2
}

need_root() {
  [ "$(id -u)" -eq 0 ] || usage_error "$1 needs root (namespaces, containers, nftables): run it with sudo"
}

# The daemon's PID when it is running (its command line names daemon.ts), else nothing.
daemon_pid() {
  [ -r "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if { tr "\\0" " " <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "world/daemon\\.ts"; then echo "$pid"; fi
}

ts_node() {
  # Without the sandbox's own exports (an eval'd NODE_EXTRA_CA_CERTS may point at a removed file).
  (cd "$repo" && TS_NODE_PROJECT="$repo/tsconfig.json" exec env -u NODE_EXTRA_CA_CERTS node --require ts-node/register/transpile-only "$@")
}

cmd_start() {
  need_root start
  command -v node >/dev/null || die "node is not on PATH"
  [ -d "$repo/node_modules/ts-node" ] || die "node_modules missing: run npm ci in $repo"
  local pid
  pid="$(daemon_pid)"
  if [ -n "$pid" ] && [ -r "$dir/ready" ]; then
    echo "sandbox: already running (pid $pid); its exports:" >&2
    cat "$dir/env"
    return 0
  fi
  [ -z "$pid" ] || die "a world is starting already (pid $pid); wait, or run: sandbox.sh stop"
  mkdir -p "$dir"
  chmod 700 "$dir"
  rm -f "$dir/ready" "$dir/env" "$pidfile"
  : >"$logfile"
  local began=$SECONDS
  # setsid: the world outlives this shell and its terminal. The daemon writes its own pid file.
  # exec: no shell stays behind holding this script's stdout, which is the pipe of the
  # user's `eval "$(sandbox.sh start)"`; that would wait until the world stops.
  (cd "$repo" && TS_NODE_PROJECT="$repo/tsconfig.json" VPN_SANDBOX_DIR="$dir" \
    exec setsid node --require ts-node/register/transpile-only test/engine/world/daemon.ts </dev/null >>"$logfile" 2>&1) &
  echo "sandbox: starting the world (log $logfile)" >&2
  local shown=0 lines seen=""
  while :; do
    lines=$(wc -l <"$logfile")
    if [ "$lines" -gt "$shown" ]; then
      sed -n "$((shown + 1)),${lines}p" "$logfile" >&2
      shown=$lines
    fi
    [ -r "$dir/ready" ] && break
    pid="$(daemon_pid)"
    if [ -n "$pid" ]; then
      seen=$pid
    elif [ -n "$seen" ] || [ $((SECONDS - began)) -ge 30 ]; then
      sed -n "$((shown + 1)),\$p" "$logfile" >&2
      die "the world failed to start (log above, also in $logfile); clean up with: sandbox.sh stop"
    fi
    if [ $((SECONDS - began)) -ge "$start_timeout" ]; then
      die "the world was not ready after ${start_timeout} s (log: $logfile); clean up with: sandbox.sh stop"
    fi
    sleep 0.5 # polling the ready file, bounded by start_timeout above
  done
  echo "sandbox: ready in $((SECONDS - began)) s; eval this output, then: pulumi stack init NAME; pulumi config set vpn:zone \"\$SANDBOX_ZONE\"; ..." >&2
  cat "$dir/env"
}

cmd_status() {
  need_root status
  local pid
  pid="$(daemon_pid)"
  if [ -z "$pid" ]; then
    echo "sandbox: not running" >&2
    [ ! -e "$dir" ] || echo "sandbox: $dir exists (leftovers?): sandbox.sh stop removes them" >&2
    exit 3
  fi
  [ -r "$dir/status.json" ] || die "running (pid $pid) but not ready yet; log: $logfile"
  STATUS_FILE="$dir/status.json" READY_FILE="$dir/ready" PID="$pid" node -e '
    const fs = require("node:fs");
    const s = JSON.parse(fs.readFileSync(process.env.STATUS_FILE, "utf8"));
    const ready = JSON.parse(fs.readFileSync(process.env.READY_FILE, "utf8"));
    const out = [];
    out.push(`world: running (pid ${process.env.PID}), API ${ready.url}/v4`);
    out.push(`instances: ${s.instances.length}`);
    for (const i of s.instances) out.push(`  ${i.id} ${i.label} ${i.ipv4} ${i.ipv6} ${i.status}${i.bootMs ? ` (sshd after ${i.bootMs} ms)` : ""}`);
    const ranges = s.instances.flatMap((i) => i.ranges.map((r) => `  ${r} -> ${i.label} (${i.ipv6})`));
    out.push(`ranges: ${ranges.length}`, ...ranges);
    out.push(`firewalls: ${s.firewalls.length}`);
    for (const f of s.firewalls) out.push(`  ${f.id} ${f.label} ${f.status} in:${f.inbound_policy}+${f.rules.inbound} rules out:${f.outbound_policy}+${f.rules.outbound} rules linodes:[${f.linodes.join(",")}]`);
    for (const [zone, recs] of Object.entries(s.records)) {
      out.push(`records in ${zone}: ${recs.length} (TXT: ${recs.filter((r) => r.type === "TXT").length})`);
      for (const r of recs) out.push(`  ${r.name || "@"} ${r.ttl_sec} ${r.type} ${r.target}`);
    }
    out.push(`clients: ${s.clients.length ? s.clients.join(" ") : "none"}`);
    console.log(out.join("\n"));
  '
}

cmd_stop() {
  need_root stop
  local pid began=$SECONDS
  pid="$(daemon_pid)"
  if [ -n "$pid" ]; then
    echo "sandbox: stopping the world (pid $pid)" >&2
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - began)) -lt 120 ]; do sleep 0.2; done # bounded wait for its exit
    if kill -0 "$pid" 2>/dev/null; then
      echo "sandbox: the world did not stop within 120 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Whatever is left (a crashed or killed world): swept by the vs- prefix and the state dir.
  [ ! -d "$repo/node_modules/ts-node" ] || VPN_SANDBOX_DIR="$dir" ts_node test/engine/world/daemon.ts --sweep >&2
  rm -rf "$dir"
  echo "sandbox: stopped in $((SECONDS - began)) s" >&2
}

cmd_connect() {
  need_root connect
  local pid
  pid="$(daemon_pid)"
  [ -n "$pid" ] && [ -r "$dir/ready" ] || usage_error 'the sandbox is not running: start it with eval "$(scripts/sandbox.sh start)"'
  [ -d "$repo/node_modules/ts-node" ] || usage_error "node_modules missing: run npm ci in $repo"
  # From the caller's directory (a profile path is relative to it); the sandbox's own
  # exports are read from its state dir, so the caller needs none of them.
  VPN_SANDBOX_DIR="$dir" TS_NODE_PROJECT="$repo/tsconfig.json" exec env -u NODE_EXTRA_CA_CERTS \
    node --require "$repo/node_modules/ts-node/register/transpile-only" "$repo/scripts/sandbox-connect.ts" "$@"
}

# The demo (cmd_demo): its own file, built on the commands above.
# shellcheck source=lib/sandbox-demo.sh
. "$repo/scripts/lib/sandbox-demo.sh"

case "${1:-}" in
  start | status | stop)
    [ $# -eq 1 ] || usage_error "'$1' takes no arguments (see sandbox.sh --help)"
    "cmd_$1"
    ;;
  connect | demo)
    cmd="cmd_$1"
    shift
    "$cmd" "$@"
    ;;
  -h | --help | help) usage ;;
  "") usage_error "missing command: start, status, stop, connect or demo (see sandbox.sh --help)" ;;
  *) usage_error "unknown command '$1': use start, status, stop, connect or demo (see sandbox.sh --help)" ;;
esac
