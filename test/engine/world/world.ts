// The local Linode world, in process: network, instances, Cloud Firewall
// enforcement, authoritative DNS, Pebble as the ACME CA, and the Linode API v4
// server (./api) wired to them. The daemon (daemon.ts, behind
// scripts/sandbox.sh) and the engine tests run this same code.
//
//   const world = await startWorld({ log: console.error });
//   world.env()            // LINODE_URL, LINODE_TOKEN, PULUMI_BACKEND_URL, ... (the sandbox exports)
//   await world.addClient() // a namespace on "the Internet", resolver = the world's DNS
//   world.api.requests     // every API request (secrets redacted)
//   world.instances()      // the machines that exist right now
//   await world.stop()     // removes everything (also swept at the next start after a crash)
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTestCa } from "../../acme/lib/testCa";
import { startPebble, Pebble } from "../../acme/lib/pebble";
import { atExit } from "../../hosts/lib/exit";
import type { DnsRecordSpec, FirewallState, LinodeApiHandle, RecordedRequest } from "./api/backends";
import { startLinodeApi } from "./api/server";
import { addressPlan, DEFAULT_STATE_DIR, NET, UPSTREAM_NS } from "./addresses";
import { Bind } from "./dns";
import { Firewalls } from "./firewall";
import { Instance, MachineInfo, Machines } from "./machines";
import { Client, exitPolicy, WHOAMI_PORT, WorldNetwork } from "./network";
import { ensureCloudRootfs } from "./rootfs";
import { claimWorld, recordPid, releaseWorld, sweepWorld, worldOwner } from "./sweep";

export const DEFAULT_ZONE = "sandbox.example.net";

/** Regions as GET /v4/regions lists them; one without Metadata, for the program's fallback path. */
export const DEFAULT_REGIONS = [
  { id: "us-ord", capabilities: ["Linodes", "Cloud Firewall", "Block Storage", "Vlans", "Metadata"] },
  { id: "us-east", capabilities: ["Linodes", "Cloud Firewall", "Block Storage", "Vlans", "Metadata"] },
  { id: "eu-central", capabilities: ["Linodes", "Cloud Firewall", "Block Storage", "Vlans", "Metadata"] },
  { id: "ap-south", capabilities: ["Linodes", "Cloud Firewall", "Block Storage", "Vlans"] },
];

export interface WorldOptions {
  /** State dir (default $VPN_SANDBOX_DIR or /var/lib/vpn-sandbox). Swept at start. */
  dir?: string;
  zones?: string[];
  regions?: { id: string; capabilities: string[] }[];
  token?: string;
  /** API listen address (default 127.0.0.1 and a free port). */
  apiListen?: { host: string; port: number };
  log?: (msg: string) => void;
  /** Files in `dir` the start-up sweep leaves alone (the daemon's log and pid). */
  keepFiles?: string[];
  /** PULUMI_CONFIG_PASSPHRASE to export (the sandbox keeps one across restarts); default: a new random one. */
  passphrase?: string;
}

export interface World {
  dir: string;
  zones: string[];
  /** The API base without /v4 (LINODE_URL). */
  url: string;
  token: string;
  /** Pebble's ACME directory (vpn:acmeServer). */
  acmeDirectory: string;
  /** PEM file: Pebble's root, the CA sandbox clients trust instead of ISRG Root X1. */
  caFile: string;
  /** PEM file: the CA of Pebble's own HTTPS listener (NODE_EXTRA_CA_CERTS). */
  httpsCaFile: string;
  /** "203.0.113.1:53" */
  dnsServer: string;
  /**
   * The upstream host ("a host on the Internet", namespace vs-up): test/lib's whoami
   * service on `port` answers each TCP connection with the caller's address
   * (probeTcp from test/lib/upstream.ts); `connections()` lists who reached it.
   */
  upstream: { ns: string; v4: string; v6: string; port: number; connections(): string[] };
  api: LinodeApiHandle;
  readonly requests: RecordedRequest[];
  /** Exports of `scripts/sandbox.sh start` (PULUMI_* included). */
  env(): Record<string, string>;
  addClient(): Promise<Client>;
  removeClient(c: Client): Promise<void>;
  instances(): MachineInfo[];
  instance(id: number): Instance | undefined;
  firewalls(): FirewallState[];
  records(): Record<string, DnsRecordSpec[]>;
  resolve(fqdn: string): Promise<string[]>;
  /** A JSON-able view of what exists (what `sandbox.sh status` prints). */
  status(): WorldStatus;
  timings: { startMs: number };
  stop(): Promise<void>;
}

export interface WorldStatus {
  instances: MachineInfo[];
  firewalls: {
    id: number;
    label: string;
    status: string;
    inbound_policy: string;
    outbound_policy: string;
    rules: { inbound: number; outbound: number };
    linodes: number[];
  }[];
  records: Record<string, DnsRecordSpec[]>;
  clients: string[];
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const dir = opts.dir ?? DEFAULT_STATE_DIR;
  const zones = opts.zones ?? [DEFAULT_ZONE];
  const token = opts.token ?? randomBytes(32).toString("hex");
  // One world per machine (the vs- names are fixed): never sweep a running world (a sandbox, a test) from under its user.
  const owner = worldOwner();
  if (owner)
    throw new Error(`a local Linode world is running already (pid ${owner.pid}, state ${owner.dir}): stop it first (scripts/sandbox.sh stop for the sandbox)`);
  const swept = sweepWorld(dir, opts.keepFiles ?? []);
  if (swept.removed.length) log(`world: swept leftovers of an earlier run: ${swept.removed.join(", ")}`);
  claimWorld(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  const stops: Array<() => Promise<void>> = [];
  let machines: Machines | undefined;
  // Last resort (crash of this process): everything by prefix, synchronously.
  const forgetExitHook = atExit(() => {
    machines?.destroyAllNow();
    sweepWorld(dir, opts.keepFiles ?? []);
    releaseWorld();
  });
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch (err) {
        log(`world: stop: ${(err as Error).message}`);
      }
    }
    sweepWorld(dir, opts.keepFiles ?? []);
    releaseWorld();
    forgetExitHook();
  };

  try {
    const rootfs = ensureCloudRootfs(log); // in parallel with the rest; awaited before the API starts
    rootfs.catch(() => undefined);
    const exit = await exitPolicy();
    const network = new WorldNetwork(dir, log);
    let writeStatus = () => undefined as void;
    const firewalls = new Firewalls(exit, () => writeStatus());
    await firewalls.init();
    await network.build(exit.uplink, exit.pinned);
    stops.push(async () => network.whoami?.stop());
    log(`world: instances reach only the Debian mirror ${exit.mirrorV4.join(",")} (tcp 80/443) and the resolver ${exit.resolvers.join(",")} (53)`);

    const bind = new Bind(join(dir, "bind"), zones, log);
    stops.push(() => bind.stop());
    await bind.start();
    recordPid(dir, bind.pid, "named");
    const dns = {
      apply: async (zone: string, records: DnsRecordSpec[]) => {
        await bind.apply(zone, records);
        writeStatus();
      },
      resolve: (fqdn: string) => bind.resolve(fqdn),
    };

    const pebbleDir = join(dir, "pebble");
    mkdirSync(pebbleDir, { recursive: true });
    const httpsCa = await makeTestCa(pebbleDir);
    const pebble: Pebble = await startPebble(pebbleDir, httpsCa, `${NET.dns}:53`);
    stops.push(() => pebble.stop());
    recordPid(dir, pebble.daemon.proc.pid, "pebble");
    const caFile = join(dir, "sandbox-ca.pem");
    writeFileSync(caFile, await pebble.rootPem());
    log(`world: Pebble ACME CA at ${pebble.directoryUrl} (DNS-01 through ${NET.dns}:53); its root in ${caFile}`);

    const root = await rootfs;
    machines = new Machines({
      rootfsDir: root.dir,
      stateDir: dir,
      resolvers: exit.resolvers,
      network,
      log,
      onChange: () => writeStatus(),
      reserved: exit.pinned.map((p) => p.addr),
    });
    const m = machines;
    stops.push(() => m.destroyAll());

    const api = await startLinodeApi({
      token,
      zones,
      regions: opts.regions ?? DEFAULT_REGIONS,
      machines: m,
      firewalls,
      dns,
      addresses: addressPlan,
      listen: opts.apiListen,
    });
    // Stopped first (reverse order): no new backend calls while the rest goes.
    stops.push(async () => {
      await api.idle();
      await api.stop();
    });
    log(`world: Linode API v4 at ${api.url}/v4`);

    const pulumiState = join(dir, "pulumi-state");
    mkdirSync(pulumiState, { recursive: true, mode: 0o700 });
    const passphrase = opts.passphrase ?? randomBytes(16).toString("hex");
    const status = (): WorldStatus => ({
      instances: m.list(),
      firewalls: firewalls.list().map((f) => ({
        id: f.id,
        label: f.label,
        status: f.status,
        inbound_policy: f.inbound_policy,
        outbound_policy: f.outbound_policy,
        rules: { inbound: f.inbound.length, outbound: f.outbound.length },
        linodes: f.devices.map((d) => d.linodeId),
      })),
      records: bind.served(),
      clients: network.clients.map((c) => c.name),
    });
    writeStatus = () => {
      try {
        writeFileSync(join(dir, "status.json"), `${JSON.stringify(status(), null, 2)}\n`, { mode: 0o600 });
      } catch {
        /* dir gone while stopping */
      }
    };
    writeStatus();

    const world: World = {
      dir,
      zones,
      url: api.url,
      token,
      acmeDirectory: pebble.directoryUrl,
      caFile,
      httpsCaFile: httpsCa.caFile,
      dnsServer: `${NET.dns}:53`,
      upstream: { ns: UPSTREAM_NS, v4: NET.upstreamV4, v6: NET.upstreamV6, port: WHOAMI_PORT, connections: () => network.whoami?.connections() ?? [] },
      api,
      get requests() {
        return api.requests;
      },
      env: () => ({
        LINODE_URL: api.url,
        LINODE_TOKEN: token,
        // The provider waits on instances and events by polling every 4 s by default
        // (linode:eventPollMs, env LINODE_EVENT_POLL_MS); the world answers at once.
        LINODE_EVENT_POLL_MS: "500",
        PULUMI_BACKEND_URL: `file://${pulumiState}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        SANDBOX_ZONE: zones[0],
        SANDBOX_ACME_SERVER: pebble.directoryUrl,
        SANDBOX_CA: caFile,
        SANDBOX_DNS: `${NET.dns}:53`,
        SANDBOX_UPSTREAM: `${NET.upstreamV4},${NET.upstreamV6}`,
        NODE_EXTRA_CA_CERTS: httpsCa.caFile,
      }),
      addClient: async () => {
        const c = await network.addClient();
        writeStatus();
        return c;
      },
      removeClient: async (c) => {
        await network.removeClient(c);
        writeStatus();
      },
      instances: () => m.list(),
      instance: (id) => m.get(id),
      firewalls: () => firewalls.list(),
      records: () => bind.served(),
      resolve: (fqdn) => bind.resolve(fqdn),
      status,
      timings: { startMs: Date.now() - started },
      stop,
    };
    log(`world: ready in ${world.timings.startMs} ms`);
    return world;
  } catch (err) {
    await stop();
    throw err;
  }
}
