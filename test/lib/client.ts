// A road-warrior client: its own namespace on the internet link and its own
// charon, configured like a device (username/password via EAP-MSCHAPv2, the
// server authenticated by certificate against the throwaway root only, full
// tunnel, virtual IPv4 + IPv6 and DNS requested).
//
// The client config is written here independently of the project's render code
// (names quoted by this file, passwords as hex of their UTF-8 bytes), so a
// server-side escaping bug cannot be mirrored on the client and go unnoticed.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rssKiB, startCharon, writeCharonConf } from "./charon";
import { inNs, readTextOrEmpty, run, RunOptions, RunResult } from "./exec";
import { detectEspBackend, EspBackend } from "./esp";
import { HOSTNAME } from "./fixture";
import { ClientHost, NET, Topology } from "./netns";
import type { Daemon } from "./procs";
import type { ClientRekey } from "./lifetimes";
import { IkeSaInfo, listSas, swanctl, swanctlOk, SwanctlEnv } from "./swanctl";

const RESOLVCONF = "/sbin/resolvconf";

export interface ClientSpec {
  user: string;
  password: string;
  /** IKE proposal(s), strongSwan syntax; "default" = strongSwan's defaults (the Android app). */
  ike?: string;
  /** ESP proposal(s); "default" = strongSwan's defaults. */
  esp?: string;
  /**
   * IKE identity (IDi). Omitted: the client's IP address, as stock Windows sends.
   * Our Apple/Android/Linux profiles send the user name.
   */
  identity?: string;
  /** Server identity expected in the certificate. Default: the fixture hostname. */
  serverId?: string;
  /** Address (or name) the client connects to. Default: the topology's server (NET.serverV4). */
  serverAddress?: string;
  /** Replaces the whole generated swanctl.conf (e.g. a rendered Linux profile). Its `connections` must hold `childName`. */
  swanctlConf?: string;
  /** CHILD_SA to initiate (default "vpn"). */
  childName?: string;
  /** Root certificate(s) the client trusts (PEM). */
  trustedRootPem: string;
  /** ESP implementation; default detectEspBackend(). */
  espBackend?: EspBackend;
  /** charon filelog levels, default "default = 1". */
  logLevels?: string;
  /** Rekey times (test-only, e.g. seconds instead of hours); omitted = strongSwan's defaults. */
  rekey?: ClientRekey;
}

export interface ConnectResult {
  ok: boolean;
  /** swanctl --initiate output (charon's log lines for this IKE_SA). */
  output: string;
  ms: number;
}

/** Double-quoted swanctl string, written independently of model/escape.ts. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  return `${out}"`;
}

export function clientSwanctlConf(spec: ClientSpec): string {
  const child = spec.childName ?? "vpn";
  return [
    "connections {",
    "  vpn {",
    "    version = 2",
    `    remote_addrs = ${spec.serverAddress ?? NET.serverV4}`,
    "    vips = 0.0.0.0, ::",
    `    proposals = ${spec.ike ?? "default"}`,
    ...(spec.rekey
      ? [`    rekey_time = ${spec.rekey.ike}`, "    reauth_time = 0s", ...(spec.rekey.ikeOver ? [`    over_time = ${spec.rekey.ikeOver}`] : [])]
      : []),
    "    local {",
    "      auth = eap-mschapv2",
    `      eap_id = ${quote(spec.user)}`,
    ...(spec.identity !== undefined ? [`      id = ${quote(spec.identity)}`] : []),
    "    }",
    "    remote {",
    "      auth = pubkey",
    `      id = ${quote(spec.serverId ?? HOSTNAME)}`,
    "    }",
    "    children {",
    `      ${child} {`,
    "        remote_ts = 0.0.0.0/0, ::/0",
    `        esp_proposals = ${spec.esp ?? "default"}`,
    ...(spec.rekey
      ? [`        rekey_time = ${spec.rekey.child}`, "        rand_time = 0s", ...(spec.rekey.childLife ? [`        life_time = ${spec.rekey.childLife}`] : [])]
      : []),
    "      }",
    "    }",
    "  }",
    "}",
    "secrets {",
    "  eap-user {",
    `    id = ${quote(spec.user)}`,
    `    secret = 0x${Buffer.from(spec.password, "utf8").toString("hex")}`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export class VpnClient implements SwanctlEnv {
  readonly strongswanConf: string;
  readonly swanctlDir: string;
  readonly logFile: string;
  readonly resolvFile: string;
  charon?: Daemon;
  /** Filled by connect(): the addresses the server assigned. */
  vips: { v4?: string; v6?: string } = {};

  constructor(
    readonly topology: Topology,
    readonly host: ClientHost,
    readonly dir: string,
    readonly spec: ClientSpec,
    readonly esp: EspBackend,
  ) {
    mkdirSync(join(dir, "swanctl", "x509ca"), { recursive: true });
    this.resolvFile = join(dir, "resolv.conf");
    // resolve: DNS servers the server pushes go to a private file, never the host's
    // /etc/resolv.conf (see startClientCharon for /sbin/resolvconf).
    const env = writeCharonConf({
      dir,
      esp,
      logLevels: spec.logLevels,
      pluginExtra: `    resolve {\n      load = yes\n      file = ${this.resolvFile}\n    }`,
    });
    this.strongswanConf = env.strongswanConf;
    this.swanctlDir = env.swanctlDir;
    this.logFile = env.log;
    writeFileSync(join(this.swanctlDir, "swanctl.conf"), spec.swanctlConf ?? clientSwanctlConf(spec), { mode: 0o600 });
    writeFileSync(join(this.swanctlDir, "x509ca", "root.pem"), spec.trustedRootPem);
  }

  get ns(): string {
    return this.host.ns;
  }

  get pid(): number {
    if (!this.charon) throw new Error("client not started");
    return this.charon.pid;
  }

  async start(): Promise<void> {
    this.charon = await startCharon(this.ns, this, undefined, this.resolvconfShadow());
    await swanctlOk(this, ["--load-all", "--noprompt"]);
  }

  /**
   * strongSwan 5.9's resolve plugin prefers /sbin/resolvconf over its `file`
   * setting when that program exists, and would change the host's DNS. Where it
   * exists, a stub that appends to the private file is bind-mounted over it, in
   * charon's own mount namespace only (ip netns exec gives each command one).
   * Returns the shell snippet for startCharon's `setup` (subclasses that start
   * charon themselves should include it).
   */
  resolvconfShadow(): string | undefined {
    if (!existsSync(RESOLVCONF)) return undefined;
    const stub = join(this.dir, "resolvconf-stub");
    writeFileSync(stub, `#!/bin/sh\nif [ "$1" = "-a" ]; then cat >> '${this.resolvFile}'; else cat >/dev/null; fi\nexit 0\n`, { mode: 0o755 });
    return `mount --bind '${stub}' ${RESOLVCONF}`;
  }

  /** Initiates the tunnel; resolves (never rejects on refusal) with swanctl's verdict and output. */
  async connect(timeoutSec = 20): Promise<ConnectResult> {
    const res = await swanctl(this, ["--initiate", "--child", this.spec.childName ?? "vpn", "--timeout", String(timeoutSec)], (timeoutSec + 5) * 1000);
    const result = { ok: res.code === 0, output: res.stdout + res.stderr, ms: res.ms };
    if (result.ok) {
      const sa = await this.ikeSa();
      for (const vip of sa?.localVips ?? []) this.vips[vip.includes(":") ? "v6" : "v4"] = vip;
    }
    return result;
  }

  /** Connects and throws (with both sides' context) unless the tunnel comes up. */
  async connectOrThrow(timeoutSec = 20): Promise<ConnectResult> {
    const r = await this.connect(timeoutSec);
    if (!r.ok) throw new Error(`client ${this.spec.user} (${this.ns}) failed to connect:\n${r.output.slice(-4000)}`);
    return r;
  }

  async disconnect(): Promise<RunResult> {
    return swanctl(this, ["--terminate", "--ike", "vpn", "--timeout", "10"], 15_000);
  }

  /** The client's IKE_SA, if one exists. */
  async ikeSa(): Promise<IkeSaInfo | undefined> {
    return (await listSas(this))[0];
  }

  /** DNS servers the client received (written by charon's resolve plugin). */
  dns(): string[] {
    const text = readTextOrEmpty(this.resolvFile);
    return [...text.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]);
  }

  /** Runs a command inside the client's namespace. */
  exec(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return run(inNs(this.ns, argv), opts);
  }

  memoryKiB(): number {
    return rssKiB(this.pid);
  }

  log(): string {
    return readTextOrEmpty(this.logFile);
  }

  /** Stops charon and removes the client's namespace. */
  async stop(): Promise<void> {
    await this.charon?.stop();
    await this.topology.removeClientHost(this.host);
  }
}

let clientCounter = 0;

/** Runs `step` on `client`; when it fails, stops the client (charon, namespace) and rethrows. */
export async function orStop(client: VpnClient, step: () => Promise<unknown>): Promise<VpnClient> {
  try {
    await step();
  } catch (err) {
    await client.stop();
    throw err;
  }
  return client;
}

/** A new client host with its charon running and its config loaded (not yet connected). */
export async function startClient(topology: Topology, spec: ClientSpec): Promise<VpnClient> {
  const esp = spec.espBackend ?? (await detectEspBackend());
  const host = await topology.addClientHost();
  const client = new VpnClient(topology, host, join(topology.dir, `client-${host.index}-${++clientCounter}`), spec, esp);
  return orStop(client, () => client.start());
}

/** startClient() + connectOrThrow(): a connected client, its vips filled in. */
export async function connectClient(topology: Topology, spec: ClientSpec): Promise<VpnClient> {
  const client = await startClient(topology, spec);
  return orStop(client, () => client.connectOrThrow());
}
