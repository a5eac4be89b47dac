// One-time profile links for the e2e tier: Debian's nginx with its njs module,
// configured by exactly the rendered files (model/server/share.ts) at their server
// paths, in the server namespace; and a client (curl, openssl s_client) in a client
// namespace that trusts only the test CA and reaches the server by its hostname.
//
// nginx runs in a mount namespace of its own (`ip netns exec` gives every command
// one): a copy of the host's /etc/nginx with Debian's default site removed (as the
// apply step does) and the rendered site, handler and fullchain in it; a private
// /etc/swanctl holding the rendered key; the rendered vpn-share at
// /usr/local/sbin and its tmpfiles entry at /etc/tmpfiles.d; a tmpfs over /run (the
// links' store, nginx's pid file) and a private directory over /var/log/nginx.
// Nothing of the host's nginx, /run or logs is touched. Commands that must see what
// nginx sees (vpn-share, ls of the store) enter that mount namespace with nsenter.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PATHS, ServerFile } from "../../model/server/files";
import { SHARE_PATHS } from "../../model/server/share";
import { inNs, readTextOrEmpty, run, runOk, RunOptions, RunResult } from "./exec";
import type { ClientHost, Topology } from "./netns";
import { NET } from "./netns";
import { Daemon, startDaemon } from "./procs";
import { execStartCommands } from "./server";
import { GiveUp, waitFor } from "./wait";

/**
 * The rendered files nginx and vpn-share read (the server key: nginx's
 * ssl_certificate_key). The sweep units are not installed anywhere: no systemd runs
 * here; the tests run their ExecStart lines (ShareServer.sweepAsTimer).
 */
const SHARE_SERVER_PATHS = [
  SHARE_PATHS.nginxSite,
  SHARE_PATHS.handler,
  SHARE_PATHS.fullchain,
  SHARE_PATHS.script,
  SHARE_PATHS.tmpfiles,
  PATHS.serverKey,
] as const;

/** Host directories replaced, in nginx's mount namespace only, by the private root's. */
const BOUND_DIRS = ["/etc/nginx", "/etc/swanctl", "/usr/local/sbin", "/etc/tmpfiles.d"] as const;

const NGINX_LOG_DIR = "/var/log/nginx";

/** A single-quoted POSIX shell word. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class ShareServer {
  constructor(
    readonly ns: string,
    /** Private root: the rendered files at their server paths (root/etc/nginx/...). */
    readonly root: string,
    /** What nginx sees as /var/log/nginx. */
    readonly logDir: string,
    readonly files: ServerFile[],
    readonly nginx: Daemon,
  ) {}

  /** argv run inside nginx's mount and network namespaces (its /run, /etc/nginx, logs). */
  exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(["nsenter", `--target=${this.nginx.pid}`, "--mount", "--net", "--", ...argv], opts);
  }

  async execOk(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new Error(`${argv.join(" ")} (in nginx's namespaces) exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r;
  }

  /** The rendered vpn-share at its server path, as root, as the SSH session runs it. */
  vpnShare(args: string[], input?: string): Promise<RunResult> {
    return this.exec([SHARE_PATHS.script, ...args], { input });
  }

  /** What the sweep timer runs: the rendered service's ExecStart lines. */
  async sweepAsTimer(): Promise<void> {
    const unit = this.files.find((f) => f.path === SHARE_PATHS.sweepService);
    if (!unit) throw new Error("no rendered sweep service");
    const cmds = execStartCommands(unit.content);
    if (cmds.length === 0) throw new Error("the sweep service has no ExecStart");
    for (const cmd of cmds) await this.execOk(cmd);
  }

  /** `ls -A` of a directory as nginx sees it. */
  async list(dir: string = SHARE_PATHS.store): Promise<string[]> {
    const r = await this.execOk(["ls", "-A", dir]);
    return r.stdout.split("\n").filter(Boolean);
  }

  /** "<octal mode> <owner> <group>" of each path, as nginx sees it. */
  async stat(paths: string[]): Promise<Record<string, string>> {
    const r = await this.execOk(["stat", "-c", "%n|%a %U %G", ...paths]);
    return Object.fromEntries(
      r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("|") as [string, string]),
    );
  }

  /** Everything nginx logged: its /var/log/nginx (the site's access and error logs, Debian's) and its stderr. */
  logs(): { files: Record<string, string>; stderr: string } {
    const files: Record<string, string> = {};
    for (const name of ["vpn-share.log", "vpn-share-error.log", "access.log", "error.log"]) files[name] = readTextOrEmpty(join(this.logDir, name));
    return { files, stderr: this.nginx.output };
  }

  async stop(): Promise<void> {
    await this.nginx.stop();
  }
}

/**
 * Starts nginx in `ns` from the rendered files (renderRegion().files; shareLinks on).
 * The private copy of /etc/nginx, the tmpfiles entry, `nginx -t`, then nginx in the
 * foreground; ready once its pid file exists (written after it bound its sockets).
 */
export async function startShareServer(ns: string, dir: string, files: ServerFile[]): Promise<ShareServer> {
  const root = join(dir, "root");
  const logDir = join(dir, "log");
  rmSync(dir, { recursive: true, force: true });
  for (const d of BOUND_DIRS) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  mkdirSync(logDir, { recursive: true });
  // Debian's nginx.conf, modules and mime types as installed; its default site goes (the apply step removes it).
  cpSync("/etc/nginx", join(root, "etc/nginx"), { recursive: true, verbatimSymlinks: true });
  rmSync(join(root, SHARE_PATHS.debianDefaultSite), { force: true });
  for (const path of SHARE_SERVER_PATHS) {
    const f = files.find((x) => x.path === path);
    if (!f) throw new Error(`no rendered ${path}: are share links on (vpn:shareLinks)?`);
    if (!BOUND_DIRS.some((d) => path.startsWith(`${d}/`))) throw new Error(`${path} is outside the directories the share harness binds`);
    const local = join(root, path);
    // The apply step makes the nginx directory 755 (push-files creates them root-only).
    mkdirSync(dirname(local), { recursive: true, mode: 0o755 });
    writeFileSync(local, f.content, { mode: parseInt(f.mode, 8) });
  }
  const setup = [
    "set -e",
    ...BOUND_DIRS.map((d) => `mount --bind ${shQuote(join(root, d))} ${d}`),
    "mount -t tmpfs -o mode=755 vpn-share-run /run",
    `mount --bind ${shQuote(logDir)} ${NGINX_LOG_DIR}`,
    // The apply step's own commands.
    `systemd-tmpfiles --create ${SHARE_PATHS.tmpfiles}`,
    "nginx -t -q",
    `exec nginx -g 'daemon off;'`,
  ].join("\n");
  const nginx = startDaemon(inNs(ns, ["sh", "-c", setup]), {});
  const server = new ShareServer(ns, root, logDir, files, nginx);
  try {
    await waitFor(
      async () => {
        if (!nginx.running) throw new GiveUp(`nginx in ${ns} exited (${nginx.exitStatus}): ${nginx.output.slice(-3000)}`);
        return (await server.exec(["test", "-s", "/run/nginx.pid"])).code === 0;
      },
      { timeoutMs: 15_000, what: `nginx in ${ns} (its pid file)` },
    );
  } catch (err) {
    await nginx.stop();
    throw err;
  }
  return server;
}

export interface Fetched {
  status: number;
  /** Lower-cased header names; the last value of each. */
  headers: Record<string, string>;
  body: Buffer;
  /** The source address the request came from. */
  source: string;
}

export interface FetchOptions {
  /** User-Agent (default: a string that names no platform). */
  ua?: string;
  method?: "GET" | "POST" | "HEAD" | "PUT" | "DELETE";
  /** Source address; default a fresh one of the client's addresses (each is its own "device" for the rate limit). */
  source?: string;
  /** Send the path as written (no ../ squashing by curl). Default true. */
  pathAsIs?: boolean;
  /** Further curl arguments. */
  extra?: string[];
}

/** A plain User-Agent that names no platform (curl's own would too, but say so). */
export const UNKNOWN_UA = "share-e2e/1.0";

/**
 * A device on the internet link: curl and openssl in a client namespace, trusting
 * only the test CA (no system store), reaching the server by its hostname
 * (--resolve: the name, not the address, is what TLS checks). The namespace holds
 * many IPv6 addresses of the link's /64, so tests can be many devices at once: nginx
 * limits requests per client address, and only the rate-limit test wants that.
 */
export class ShareClient {
  private next = 0;
  private n = 0;
  readonly caFile: string;
  readonly emptyCaDir: string;

  constructor(
    readonly host: ClientHost,
    readonly dir: string,
    readonly hostname: string,
    readonly sources: string[],
    rootPem: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.caFile = join(dir, "ca.pem");
    writeFileSync(this.caFile, rootPem);
    this.emptyCaDir = join(dir, "no-ca");
    mkdirSync(this.emptyCaDir, { recursive: true });
  }

  get ns(): string {
    return this.host.ns;
  }

  /** The next of the client's own addresses, round robin. */
  freshSource(): string {
    return this.sources[this.next++ % this.sources.length];
  }

  private resolveArgs(source: string): string[] {
    const v6 = source.includes(":");
    return ["--resolve", `${this.hostname}:443:${v6 ? `[${NET.serverV6}]` : NET.serverV4}`, "--interface", source];
  }

  /** curl with only the test CA (an empty CA path stands in for the system store) and the hostname pinned to the server. */
  curlArgs(source: string, extra: string[] = []): string[] {
    return ["curl", "-sS", "--max-time", "10", "--cacert", this.caFile, "--capath", this.emptyCaDir, ...this.resolveArgs(source), ...extra];
  }

  url(path: string): string {
    return `https://${this.hostname}${path}`;
  }

  async fetch(path: string, opts: FetchOptions = {}): Promise<Fetched> {
    const source = opts.source ?? this.freshSource();
    const id = ++this.n;
    const bodyFile = join(this.dir, `body-${id}`);
    const headerFile = join(this.dir, `headers-${id}`);
    const method = opts.method ?? "GET";
    const args = this.curlArgs(source, [
      "-A",
      opts.ua ?? UNKNOWN_UA,
      ...(method === "HEAD" ? ["--head"] : method === "GET" ? [] : ["-X", method]),
      ...(opts.pathAsIs === false ? [] : ["--path-as-is"]),
      "-o",
      bodyFile,
      "-D",
      headerFile,
      "-w",
      "%{http_code}",
      ...(opts.extra ?? []),
      this.url(path),
    ]);
    const r = await runOk(inNs(this.ns, args), { timeoutMs: 15_000 });
    const body = method === "HEAD" ? Buffer.alloc(0) : readFileOrEmpty(bodyFile);
    const headers: Record<string, string> = {};
    for (const line of readTextOrEmpty(headerFile).split(/\r?\n/)) {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) headers[m[1].toLowerCase()] = m[2];
    }
    return { status: Number(r.stdout.trim()), headers, body, source };
  }

  /** `n` GETs of `path` from one source, on one connection, as fast as curl sends them: their statuses. */
  async burst(path: string, n: number, source: string): Promise<number[]> {
    const urls: string[] = [];
    for (let i = 0; i < n; i++) urls.push("-o", "/dev/null", this.url(path));
    const r = await runOk(inNs(this.ns, this.curlArgs(source, ["-A", UNKNOWN_UA, "-w", "%{http_code}\\n", ...urls])), { timeoutMs: 30_000 });
    return r.stdout.split("\n").filter(Boolean).map(Number);
  }

  /** curl with arbitrary arguments against the server (for TLS and trust checks); never throws on exit codes. */
  curl(path: string, args: string[], source: string = this.freshSource()): Promise<RunResult> {
    return run(inNs(this.ns, this.curlArgs(source, ["-o", "/dev/null", "-w", "%{http_code}", ...args, this.url(path)])), { timeoutMs: 15_000 });
  }

  /** curl as above but with the system's CA store instead of the test CA. */
  curlSystemTrust(path: string): Promise<RunResult> {
    return run(inNs(this.ns, ["curl", "-sS", "--max-time", "10", ...this.resolveArgs(this.freshSource()), "-o", "/dev/null", this.url(path)]), {
      timeoutMs: 15_000,
    });
  }

  /** openssl s_client to the server's IPv4 address with SNI and hostname check against the test CA. */
  sClient(args: string[]): Promise<RunResult> {
    return run(
      inNs(this.ns, [
        "openssl",
        "s_client",
        "-connect",
        `${NET.serverV4}:443`,
        "-servername",
        this.hostname,
        "-verify_hostname",
        this.hostname,
        "-CAfile",
        this.caFile,
        "-verify_return_error",
        ...args,
      ]),
      { timeoutMs: 15_000, input: "" },
    );
  }
}

function readFileOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

/** A client host with `count` extra IPv6 addresses on the internet link (nodad: usable at once). */
export async function startShareClient(topology: Topology, dir: string, hostname: string, rootPem: string, count = 128): Promise<ShareClient> {
  const host = await topology.addClientHost();
  const sources: string[] = [];
  for (let i = 0; i < count; i++) sources.push(`2001:db8:a::${(0x1000 + i).toString(16)}`);
  const batch = sources.map((a) => `addr add ${a}/${NET.internetV6Prefix} dev eth0 nodad`).join("\n") + "\n";
  await runOk(["ip", "-n", host.ns, "-batch", "-"], { input: batch });
  return new ShareClient(host, dir, hostname, sources, rootPem);
}
