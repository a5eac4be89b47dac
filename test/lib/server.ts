// The VPN server under test: the rendered files, byte for byte, in a private
// directory; sysctl and nftables applied inside the server namespace; charon
// started with a strongswan.conf that includes the rendered fragment and adds
// only test plumbing; swanctl.conf loaded like the real service does.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ServerFile } from "../../model/server/files";
import { PATHS } from "../../model/server/files";
import { rssKiB, startCharon, writeCharonConf } from "./charon";
import { inNs, readTextOrEmpty, runOk, RunResult } from "./exec";
import { detectEspBackend, EspBackend } from "./esp";
import type { Topology } from "./netns";
import type { Daemon } from "./procs";
import { IkeSaInfo, listSas, swanctl, swanctlOk, SwanctlEnv } from "./swanctl";
import { AaaDirs, aaaDirs, isAaaPath, runVpnAaa, startRadius, writeAaaFiles } from "./radius";
import { AAA_PATHS } from "../../model/server/aaa";
import { SHARE_PATHS } from "../../model/server/share";

export interface StartServerOptions {
  /** Rendered files (renderRegion().files). */
  files: ServerFile[];
  /** Defaults to detectEspBackend(). */
  esp?: EspBackend;
  /** charon filelog levels, default "default = 1". */
  logLevels?: string;
  /** Subdirectory name under the topology dir (several servers may run one after another). */
  label?: string;
}

/** Where each rendered server path lands in the private directory. */
function localPath(dir: string, swanctlDir: string, serverPath: string): string {
  if (serverPath.startsWith("/etc/swanctl/")) return join(swanctlDir, serverPath.slice("/etc/swanctl/".length));
  switch (serverPath) {
    case PATHS.strongswanConf:
      return join(dir, "strongswan.d", "zz-vpn.conf");
    case PATHS.nftablesConf:
      return join(dir, "nftables.conf");
    case PATHS.sysctlConf:
      return join(dir, "sysctl.conf");
    case PATHS.usersFile:
      // Read by the apply step (not run here: the hosts tier runs it) to end removed users' sessions.
      return join(dir, "users");
    case PATHS.unboundConf:
      // Read by unbound, which tests that need the resolver start (test/lib/resolver.ts).
      return join(dir, "unbound", "vpn-resolver.conf");
    case PATHS.resolverAddressUnit:
      // Its ExecStart commands run in the server namespace at start (what systemd does at boot).
      return join(dir, "vpn-resolver-address.service");
    case PATHS.sshdDropIn:
    case PATHS.unattendedUpgrades:
    case PATHS.upgradeTimer:
    // One-time profile links: nginx's site, handler and fullchain, vpn-share, its tmpfiles
    // entry and sweep units. The strongSwan harness runs no nginx: test/lib/share.ts runs
    // them from the same rendered files (test/e2e/share.test.ts).
    case SHARE_PATHS.nginxSite:
    case SHARE_PATHS.handler:
    case SHARE_PATHS.fullchain:
    case SHARE_PATHS.script:
    case SHARE_PATHS.tmpfiles:
    case SHARE_PATHS.sweepService:
    case SHARE_PATHS.sweepTimer:
      // The host's sshd, apt and systemd read these (the hosts tier proves them), or nginx
      // (share.ts); kept here for inspection only.
      return join(dir, "host-only", serverPath.slice(1).replace(/\//g, "_"));
  }
  // Refuse silently skipping a file: the tier claims to run exactly what is rendered.
  throw new Error(`the e2e harness does not know where ${serverPath} goes; teach test/lib/server.ts`);
}

/** The ExecStart= command lines of a systemd unit, split into argv (the rendered units quote nothing). */
export function execStartCommands(unit: string): string[][] {
  return [...unit.matchAll(/^ExecStart=-?(.+)$/gm)].map((m) => m[1].trim().split(/\s+/));
}

export class VpnServer implements SwanctlEnv {
  readonly strongswanConf: string;
  readonly swanctlDir: string;
  readonly logFile: string;
  readonly nftablesFile: string;
  readonly sysctlFile: string;
  /** The rendered unbound fragment (not loaded unless a test starts unbound). */
  readonly unboundConf: string;
  charon?: Daemon;
  /** The lifecycle's FreeRADIUS, when the rendered files have it. */
  radius?: Daemon;
  readonly aaa: AaaDirs;

  constructor(
    readonly topology: Topology,
    readonly dir: string,
    readonly esp: EspBackend,
    logLevels?: string,
  ) {
    mkdirSync(join(dir, "strongswan.d"), { recursive: true });
    const env = writeCharonConf({ dir, esp, includes: [join(dir, "strongswan.d", "zz-vpn.conf")], logLevels });
    this.strongswanConf = env.strongswanConf;
    this.swanctlDir = env.swanctlDir;
    this.logFile = env.log;
    this.nftablesFile = join(dir, "nftables.conf");
    this.sysctlFile = join(dir, "sysctl.conf");
    this.unboundConf = join(dir, "unbound", "vpn-resolver.conf");
    this.aaa = aaaDirs(dir, this.swanctlDir);
  }

  get ns(): string {
    return this.topology.server;
  }

  get pid(): number {
    if (!this.charon) throw new Error("server not started");
    return this.charon.pid;
  }

  /** Writes rendered files to their private paths (byte for byte, with their modes). */
  writeFiles(files: ServerFile[]): void {
    writeAaaFiles(this.aaa, files);
    for (const f of files) {
      if (isAaaPath(f.path)) continue;
      const p = localPath(this.dir, this.swanctlDir, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content, { mode: parseInt(f.mode, 8) });
    }
  }

  async start(files: ServerFile[]): Promise<void> {
    this.writeFiles(files);
    await runOk(inNs(this.ns, ["sysctl", "-q", "-p", this.sysctlFile]));
    await runOk(inNs(this.ns, ["nft", "-f", this.nftablesFile]));
    for (const f of files.filter((x) => x.path === PATHS.resolverAddressUnit)) {
      for (const cmd of execStartCommands(f.content)) await runOk(inNs(this.ns, cmd));
    }
    if (files.some((f) => f.path === AAA_PATHS.radiusdConf)) this.radius = await startRadius(this.ns, this.aaa);
    this.charon = await startCharon(this.ns, this);
    await this.loadAll();
  }

  /** What the apply step runs (and strongswan.service after start): loads creds, pools and conns. */
  async loadAll(): Promise<RunResult> {
    return swanctlOk(this, ["--load-all", "--noprompt"]);
  }

  /**
   * Live reload without restarting charon, as the apply step does after a user
   * change: new files, then `swanctl --load-all` (creds, pools, conns).
   */
  async reload(files: ServerFile[]): Promise<RunResult> {
    this.writeFiles(files);
    // A changed user restarts FreeRADIUS (the apply step's `systemctl restart freeradius`).
    if (this.radius) {
      await this.radius.stop();
      this.radius = await startRadius(this.ns, this.aaa);
    }
    return this.loadAll();
  }

  /**
   * `systemctl restart strongswan`: charon stops (ending every SA; `crash`: SIGKILL, as
   * a crash or power loss, no Accounting-Stop) and starts again with the same files,
   * after the lifecycle's ExecStartPre (`vpn-aaa close-open`) where it is rendered.
   */
  async restartCharon(crash = false): Promise<void> {
    if (crash && this.charon) {
      process.kill(this.charon.pid, "SIGKILL");
      await this.charon.exited;
    }
    await this.charon?.stop();
    if (this.radius) {
      const r = await this.vpnAaa(["close-open"]);
      if (r.code !== 0) throw new Error(`vpn-aaa close-open: ${r.stderr}`);
    }
    this.charon = await startCharon(this.ns, this);
    await this.loadAll();
  }

  /** The rendered `vpn-aaa` script, run now (the host's timer runs `enforce` every minute). */
  vpnAaa(args: string[]): Promise<RunResult> {
    return runVpnAaa(this.ns, this.aaa, this, args);
  }

  swanctl(args: string[], timeoutMs?: number): Promise<RunResult> {
    return swanctl(this, args, timeoutMs);
  }

  listSas(): Promise<IkeSaInfo[]> {
    return listSas(this);
  }

  /** charon's resident memory in KiB. */
  memoryKiB(): number {
    return rssKiB(this.pid);
  }

  /** The server's charon log so far (for failure messages). */
  log(): string {
    return readTextOrEmpty(this.logFile);
  }

  async stop(): Promise<void> {
    await this.charon?.stop();
    await this.radius?.stop();
  }
}

/**
 * Starts the server in the topology's server namespace from rendered files.
 * Stop it with server.stop() (topology.teardown() also kills it).
 */
export async function startServer(topology: Topology, opts: StartServerOptions): Promise<VpnServer> {
  const esp = opts.esp ?? (await detectEspBackend());
  const server = new VpnServer(topology, join(topology.dir, opts.label ?? "server"), esp, opts.logLevels);
  try {
    await server.start(opts.files);
  } catch (err) {
    const log = server.log();
    await server.stop();
    if (log && err instanceof Error) err.message += `\n--- server charon log ---\n${log.slice(-4000)}`;
    throw err;
  }
  return server;
}
