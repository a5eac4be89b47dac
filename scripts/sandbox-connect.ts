// `scripts/sandbox.sh connect <profile.swanctl.conf | user> [--stack S] [--region R] [--run <command...>]`:
// a real strongSwan client (charon in a network namespace of its own on the sandbox's
// network, its resolver the sandbox's DNS, trusting the sandbox's CA instead of ISRG
// Root X1) connects to a VPN deployed in the sandbox with that user's swanctl profile,
// prints the addresses it got, runs a command in the namespace (default: a shell),
// and ends the client when the command exits. Exit status: the command's; 1 when the
// tunnel does not come up; 2 for a user error (one line, "sandbox: ...").
// Started by sandbox.sh (root checked there), with VPN_SANDBOX_DIR set.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { oneLine, UsageError } from "./lib/cli";
import { pulumiStackOutput } from "./lib/stackOutput";
import { trackDir, trackNamespace, untrackDir, untrackNamespace } from "../test/lib/cleanup";
import { VpnClient } from "../test/lib/client";
import { detectEspBackend } from "../test/lib/esp";
import { run, runOk } from "../test/lib/exec";
import type { ClientHost, Topology } from "../test/lib/netns";
import { BRIDGE, NET, PREFIX } from "../test/engine/world/addresses";
import { deleteNamespace, NETNS_ETC } from "../test/engine/world/network";

const ROOT = join(__dirname, "..");
export const DEFAULT_STACK = "sandbox";
/** Namespaces of this command: vs-k<N> (the world's sweep removes every vs- namespace), N = 1..MAX_CLIENTS. */
const MAX_CLIENTS = 40;
const nsName = (n: number) => `${PREFIX}-k${n}`;
/** Beside the world's own clients (203.0.113.150+N): 203.0.113.200+N, 2001:db8:7700::d:N. */
const clientV4 = (n: number) => `203.0.113.${200 + n}`;
const clientV6 = (n: number) => `2001:db8:7700::d:${n.toString(16)}`;

export interface ConnectArgs {
  target: string;
  stack: string;
  region?: string;
  /** The command to run in the namespace; undefined: an interactive shell. */
  command?: string[];
  timeoutSec: number;
}

/** `<target> [--stack S] [--region R] [--timeout SEC] [--run <command...>]`; everything after --run is the command. */
export function parseConnectArgs(argv: string[]): ConnectArgs {
  let target: string | undefined;
  let stack: string | undefined;
  let region: string | undefined;
  let timeout: string | undefined;
  let command: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--run") {
      command = argv.slice(i + 1);
      if (command.length === 0 || command[0] === "") throw new UsageError("--run needs a command (--run <command...>)");
      break;
    }
    const m = /^--(stack|region|timeout)(?:=(.*))?$/.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined || value === "" || value.startsWith("--")) throw new UsageError(`--${m[1]} needs a value`);
      if ((m[1] === "stack" && stack) || (m[1] === "region" && region) || (m[1] === "timeout" && timeout)) throw new UsageError(`--${m[1]} is given twice`);
      if (m[1] === "stack") stack = value;
      else if (m[1] === "region") region = value;
      else timeout = value;
      continue;
    }
    if (a.startsWith("-")) throw new UsageError(`unknown option ${a} (sandbox.sh --help)`);
    if (target !== undefined) throw new UsageError(`unexpected argument ${a}: one profile or user (sandbox.sh --help)`);
    target = a;
  }
  if (target === undefined) throw new UsageError("connect needs a profile file (<user>.swanctl.conf) or a user name (sandbox.sh --help)");
  if (timeout !== undefined && !/^[1-9][0-9]{0,3}$/.test(timeout)) throw new UsageError(`--timeout ${timeout}: seconds, 1-9999`);
  return { target, stack: stack ?? DEFAULT_STACK, region, command, timeoutSec: timeout ? Number(timeout) : 30 };
}

/** The sandbox's exports (`export K='v'` lines of <dir>/env, as `start` prints them). */
export function readSandboxEnv(dir: string): Record<string, string> {
  const file = join(dir, "env");
  if (!existsSync(join(dir, "ready")) || !existsSync(file))
    throw new UsageError('the sandbox is not running: start it with eval "$(scripts/sandbox.sh start)"');
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'|'$/g, "").split(`'\\''`).join("'");
  }
  return env;
}

/** What a swanctl profile says: the child to initiate, the EAP identity, the server, and whether it carries the password. */
export function describeProfile(text: string): { child: string; user: string; server: string; hasSecret: boolean } {
  const child = /\n\s*children\s*\{\s*\n\s*([A-Za-z0-9_.-]+)\s*\{/.exec(text)?.[1];
  const user = /\n\s*eap_id\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(text);
  const server = /\n\s*remote_addrs\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(text);
  if (!child || !user || !server)
    throw new UsageError(
      "not a swanctl client profile (no connection with children, eap_id and remote_addrs): use the <user>.swanctl.conf that npm run profiles writes",
    );
  const unquote = (m: RegExpExecArray) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]);
  return { child, user: unquote(user), server: unquote(server), hasSecret: /^\s*secrets\s*\{/m.test(text) };
}

/** The user's swanctl profile from the stack's `profiles` output. */
function profileFromStack(user: string, stack: string, region: string | undefined): string {
  const profiles = JSON.parse(pulumiStackOutput(stack, ["profiles", "--show-secrets"])) as Record<string, Record<string, { linuxSwanctl?: string }>>;
  const mine = profiles?.[user];
  if (!mine) throw new UsageError(`stack ${stack} has no user ${user} (users: ${Object.keys(profiles ?? {}).join(", ") || "none"})`);
  const regions = Object.keys(mine);
  const chosen = region ?? (regions.length === 1 ? regions[0] : undefined);
  if (!chosen) throw new UsageError(`user ${user} has a profile in several regions (${regions.join(", ")}): choose one with --region`);
  const text = mine[chosen]?.linuxSwanctl;
  if (!text) throw new UsageError(`stack ${stack} has no profile of ${user} in region ${chosen} (regions: ${regions.join(", ")})`);
  return text;
}

/** A client namespace on the world's bridge whose resolver is the world's DNS: the first free vs-k<N>. */
async function addClientNamespace(): Promise<ClientHost> {
  if (!existsSync(`/sys/class/net/${BRIDGE}`))
    throw new UsageError(`the sandbox's network (${BRIDGE}) does not exist: is the world running? (scripts/sandbox.sh status)`);
  for (let n = 1; n <= MAX_CLIENTS; n++) {
    const ns = nsName(n);
    // `ip netns add` refuses a name that exists: that is the lock between concurrent connects.
    if ((await run(["ip", "netns", "add", ns])).code !== 0) continue;
    trackNamespace(ns);
    trackDir(join(NETNS_ETC, ns));
    mkdirSync(join(NETNS_ETC, ns), { recursive: true });
    writeFileSync(join(NETNS_ETC, ns, "resolv.conf"), `nameserver ${NET.dns}\n`);
    const ip = (args: string[]) => runOk(["ip", ...args], { timeoutMs: 10_000 });
    await ip(["-n", ns, "link", "set", "lo", "up"]);
    await ip(["link", "add", `${ns}-p`, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await ip(["link", "set", `${ns}-p`, "master", BRIDGE, "up"]);
    await ip(["-n", ns, "addr", "add", `${clientV4(n)}/${NET.v4Prefix}`, "dev", "eth0"]);
    await ip(["-n", ns, "addr", "add", `${clientV6(n)}/${NET.v6Prefix}`, "dev", "eth0", "nodad"]);
    await ip(["-n", ns, "link", "set", "eth0", "up"]);
    return { ns, index: n, v4: clientV4(n), v6: clientV6(n) };
  }
  throw new UsageError(`${MAX_CLIENTS} sandbox clients are connected already (namespaces ${nsName(1)}..${nsName(MAX_CLIENTS)}): end one first`);
}

async function removeClientNamespace(host: ClientHost): Promise<void> {
  await deleteNamespace(host.ns);
  untrackNamespace(host.ns);
  untrackDir(join(NETNS_ETC, host.ns));
}

/** What stopped the tunnel, from charon's output (never a secret: charon logs none at level 1), the telling line in parentheses. */
const WHY: [RegExp, string][] = [
  [/EAP[-_ \w]*fail/i, "the server refused the user name or password"],
  [/AUTHENTICATION_FAILED|N\(AUTH_FAILED\)/, "authentication failed"],
  [/no trusted .*public key|constraint check failed|certificate .*(not trusted|expired|untrusted)/i, "the server's certificate is not trusted (SANDBOX_CA)"],
  [/giving up after \d+ retransmits|no response|timed? ?out/i, "the server did not answer"],
  [/unable to resolve|resolving .* failed/i, "the server's name does not resolve"],
  [/NO_PROPOSAL_CHOSEN|TS_UNACCEPTABLE|INTERNAL_ADDRESS_FAILURE/, "the server refused the proposal"],
];

export function whyNotConnected(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim().replace(/^\[\w+\]\s*/, ""))
    .filter(Boolean);
  for (const [re, summary] of WHY) {
    const line = lines.find((l) => re.test(l));
    if (line) return `${summary} (${line})`;
  }
  return lines[lines.length - 1] ?? "no output";
}

function runInNamespace(ns: string, command: string[] | undefined): Promise<number> {
  const argv = command === undefined ? [process.env.SHELL || "/bin/bash"] : command.length === 1 ? ["sh", "-c", command[0]] : command;
  return new Promise((done) => {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: "inherit", env: { ...process.env, VPN_SANDBOX_CLIENT: ns } });
    child.on("error", (err) => {
      say(`cannot run ${argv[0]}: ${err.message}`);
      done(127);
    });
    child.on("exit", (code, signal) =>
      done(code ?? 128 + (signal ? (({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0) : 0)),
    );
  });
}

function say(line: string): void {
  process.stderr.write(`sandbox: ${oneLine(line)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const args = parseConnectArgs(argv);
  const dir = process.env.VPN_SANDBOX_DIR || "/var/lib/vpn-sandbox";
  const env = readSandboxEnv(dir);
  // A file named on the command line is read relative to the caller's directory.
  const asFile = resolve(args.target);
  const isFile = args.target.includes("/") || args.target.endsWith(".conf") || existsSync(asFile);
  let profile: string;
  if (isFile) {
    if (!existsSync(asFile)) throw new UsageError(`no such profile file: ${args.target}`);
    profile = readFileSync(asFile, "utf8");
  } else {
    process.chdir(ROOT);
    // The stacks of the sandbox live in its backend, with its passphrase (whatever the caller's shell exports).
    for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) if (env[k] !== undefined) process.env[k] = env[k];
    delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
    profile = profileFromStack(args.target, args.stack, args.region);
  }
  const p = describeProfile(profile);
  if (!p.hasSecret) {
    throw new UsageError(
      `${args.target} has no password (no secrets block: an offline render): connect with the user name, or use the file npm run profiles -- --stack ${args.stack} --out <dir> writes`,
    );
  }
  if (!env.SANDBOX_CA || !existsSync(env.SANDBOX_CA))
    throw new UsageError(`the sandbox's CA (${env.SANDBOX_CA ?? "SANDBOX_CA"}) is missing: restart it (scripts/sandbox.sh stop, then start)`);

  const host = await addClientNamespace();
  const work = mkdtempSync(join(tmpdir(), "vpn-sandbox-client-")); // 0700: the profile holds the password
  trackDir(work);
  const topology = { removeClientHost: async () => removeClientNamespace(host) } as unknown as Topology;
  const client = new VpnClient(
    topology,
    host,
    work,
    { user: p.user, password: "", swanctlConf: profile, childName: p.child, trustedRootPem: readFileSync(env.SANDBOX_CA, "utf8") },
    await detectEspBackend(),
  );
  try {
    say(`connecting as ${p.user} to ${p.server} from namespace ${host.ns} (${host.v4}, ${host.v6})`);
    await client.start();
    const r = await client.connect(args.timeoutSec);
    if (!r.ok) {
      say(`${p.user} could not connect to ${p.server}: ${whyNotConnected(r.output)}`);
      return 1;
    }
    const sa = await client.ikeSa();
    say(`connected in ${r.ms} ms to ${p.server} (${sa?.remoteHost ?? "?"}) as ${p.user}`);
    say(`tunnel addresses: IPv4 ${client.vips.v4 ?? "none"}, IPv6 ${client.vips.v6 ?? "none"}; DNS pushed: ${client.dns().join(" ") || "none"}`);
    say(command(args.command, host.ns));
    return await runInNamespace(host.ns, args.command);
  } finally {
    await client.stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    untrackDir(work);
    say(`disconnected; namespace ${host.ns} removed`);
  }
}

function command(cmd: string[] | undefined, ns: string): string {
  if (cmd === undefined) return `a shell in ${ns}: its traffic goes through the tunnel; exit it to disconnect`;
  return `running in ${ns}: ${cmd.join(" ")}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof UsageError) {
        say(err.message);
        process.exit(2);
      }
      say((err instanceof Error ? err.message : String(err)).split("\n").find((l) => l.trim()) ?? "failed");
      if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}
