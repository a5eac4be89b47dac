// The test network, built from network namespaces and veth pairs that the
// harness creates and deletes (documentation address ranges only, nothing
// leaves the machine):
//
//   client ns (eth0) ──┐
//   client ns (eth0) ──┤ br0 in the "internet" ns ── eth0 [server ns] eth1 ── eth0 [upstream ns]
//   ...               ─┘   192.0.2.0/24                                203.0.113.0/24
//                          2001:db8:a::/64                             2001:db8:c::/64
//
// Clients hang off a bridge in their own namespace, so adding one never adds an
// interface to the server's namespace (charon would send MOBIKE updates).
// Clients and the upstream route everything via the server: whatever reaches
// the upstream was let through by the server's rendered firewall. The upstream
// routes the server's routed /64 (ROUTED_V6) back to the server, as Linode does.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NS_PREFIX, namespacePids, sweepStaleNamespaces, trackDir, trackNamespace, untrackDir, untrackNamespace } from "./cleanup";
import { runOk } from "./exec";

export const NET = {
  /** The server's public addresses (vpn addresses.ipv4 / ipv6). */
  serverV4: "192.0.2.1",
  serverV6: "2001:db8:a::1",
  internetV4Prefix: 24,
  internetV6Prefix: 64,
  /** The routed /64 the region gets (addresses.ipv6Range); the client v6 pool is a slice of it. */
  routedV6: "2001:db8:1:1::/64",
  serverUpV4: "203.0.113.1",
  upstreamV4: "203.0.113.2",
  serverUpV6: "2001:db8:c::1",
  upstreamV6: "2001:db8:c::2",
} as const;

/** At most this many client hosts per topology (addresses .10 - .249). */
export const MAX_CLIENT_HOSTS = 240;

export interface ClientHost {
  /** Namespace name. */
  ns: string;
  index: number;
  /** The host's own ("public") addresses on the internet link. */
  v4: string;
  v6: string;
}

let topologyCounter = 0;

export class Topology {
  readonly server: string;
  readonly upstream: string;
  readonly internet: string;
  /** Private scratch directory for this topology (configs, logs). Removed by teardown(). */
  readonly dir: string;
  private readonly hosts = new Map<string, ClientHost>();
  private nextIndex = 0;
  private tornDown = false;

  constructor(readonly prefix: string) {
    this.server = `${prefix}-srv`;
    this.upstream = `${prefix}-up`;
    this.internet = `${prefix}-inet`;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    trackDir(this.dir);
  }

  /** What renderRegion() takes as `addresses`. */
  get regionAddresses(): { ipv4: string; ipv6: string; ipv6Range: string } {
    return { ipv4: NET.serverV4, ipv6: NET.serverV6, ipv6Range: NET.routedV6 };
  }

  async build(): Promise<void> {
    for (const ns of [this.internet, this.server, this.upstream]) await addNamespace(ns);
    const inet = this.internet,
      srv = this.server,
      up = this.upstream;
    await ip(["-n", inet, "link", "add", "br0", "type", "bridge"]);
    await ip(["-n", inet, "link", "set", "br0", "up"]);
    // server <-> internet bridge
    await ip(["-n", srv, "link", "add", "eth0", "type", "veth", "peer", "name", "srv", "netns", inet]);
    await ip(["-n", inet, "link", "set", "srv", "master", "br0", "up"]);
    await ip(["-n", srv, "addr", "add", `${NET.serverV4}/${NET.internetV4Prefix}`, "dev", "eth0"]);
    await ip(["-n", srv, "addr", "add", `${NET.serverV6}/${NET.internetV6Prefix}`, "dev", "eth0", "nodad"]);
    await ip(["-n", srv, "link", "set", "eth0", "up"]);
    // server <-> upstream
    await ip(["-n", srv, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", up]);
    await ip(["-n", srv, "addr", "add", `${NET.serverUpV4}/24`, "dev", "eth1"]);
    await ip(["-n", srv, "addr", "add", `${NET.serverUpV6}/64`, "dev", "eth1", "nodad"]);
    await ip(["-n", srv, "link", "set", "eth1", "up"]);
    await ip(["-n", up, "addr", "add", `${NET.upstreamV4}/24`, "dev", "eth0"]);
    await ip(["-n", up, "addr", "add", `${NET.upstreamV6}/64`, "dev", "eth0", "nodad"]);
    await ip(["-n", up, "link", "set", "eth0", "up"]);
    // The upstream is "the Internet": everything, including the routed /64, via the server.
    await ip(["-n", up, "route", "add", "default", "via", NET.serverUpV4]);
    await ip(["-n", up, "-6", "route", "add", "default", "via", NET.serverUpV6]);
  }

  /** A new client machine on the internet link, routing everything via the server. */
  async addClientHost(): Promise<ClientHost> {
    if (this.tornDown) throw new Error("topology already torn down");
    const index = this.nextIndex++;
    if (index >= MAX_CLIENT_HOSTS) throw new Error(`at most ${MAX_CLIENT_HOSTS} client hosts per topology`);
    const ns = `${this.prefix}-c${index}`;
    const host: ClientHost = { ns, index, v4: `192.0.2.${10 + index}`, v6: `2001:db8:a::${(0x10 + index).toString(16)}` };
    await addNamespace(ns);
    this.hosts.set(ns, host);
    await ip(["-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", `c${index}`, "netns", this.internet]);
    await ip(["-n", this.internet, "link", "set", `c${index}`, "master", "br0", "up"]);
    await ip(["-n", ns, "addr", "add", `${host.v4}/${NET.internetV4Prefix}`, "dev", "eth0"]);
    await ip(["-n", ns, "addr", "add", `${host.v6}/${NET.internetV6Prefix}`, "dev", "eth0", "nodad"]);
    await ip(["-n", ns, "link", "set", "eth0", "up"]);
    await ip(["-n", ns, "route", "add", "default", "via", NET.serverV4]);
    await ip(["-n", ns, "-6", "route", "add", "default", "via", NET.serverV6]);
    return host;
  }

  async removeClientHost(host: ClientHost): Promise<void> {
    if (!this.hosts.delete(host.ns)) return;
    await deleteNamespace(host.ns);
  }

  /** Deletes every namespace of this topology (and kills what still runs in them) and the scratch dir. */
  async teardown(): Promise<void> {
    this.tornDown = true;
    const all = [...this.hosts.keys(), this.server, this.upstream, this.internet];
    this.hosts.clear();
    for (const ns of all) await deleteNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
    untrackDir(this.dir);
  }
}

async function ip(args: string[]): Promise<void> {
  await runOk(["ip", ...args], { timeoutMs: 10_000 });
}

async function addNamespace(ns: string): Promise<void> {
  trackNamespace(ns);
  await ip(["netns", "add", ns]);
  // No duplicate address detection: link-local addresses would stay tentative
  // for a second and stall the first IPv6 neighbour lookups.
  await runOk(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"]);
  await ip(["-n", ns, "link", "set", "lo", "up"]);
}

async function deleteNamespace(ns: string): Promise<void> {
  // Anything still running in it was started by the harness (its owner should have stopped it).
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  await runOk(["ip", "netns", "delete", ns], { timeoutMs: 10_000 }).catch(() => undefined);
  untrackNamespace(ns);
}

/**
 * Builds a fresh topology with a unique name prefix (`vt<pid>x<n>`), after
 * deleting namespaces that crashed earlier runs left behind. Always pair with
 * teardown() (e.g. in t.after / finally).
 */
export async function createTopology(): Promise<Topology> {
  sweepStaleNamespaces();
  const topo = new Topology(`${NS_PREFIX}${process.pid}x${++topologyCounter}`);
  try {
    await topo.build();
  } catch (err) {
    await topo.teardown();
    throw err;
  }
  return topo;
}

/** Lists namespaces whose names this harness would create (for leak checks). */
export async function harnessNamespaces(): Promise<string[]> {
  const res = await runOk(["ip", "netns", "list"]);
  return res.stdout
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(NS_PREFIX) && /^vt\d+x\d+-/.test(n));
}
