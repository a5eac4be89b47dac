// "The Internet" of the local Linode world: bridge vs-br (this machine's side holds
// the gateway and the DNS server address), an upstream host `vs-up` that routes the
// instances' /64s and serves "whoami" over IPv4 and IPv6, and client namespaces
// vs-c<N> whose resolver is the world's DNS. The instances' eth0s join the bridge
// (machines.ts). Exit to the real network: only the Debian mirror and the resolver
// (nft.ts), so apt works on instances and nothing else leaves.
import { promises as dns } from "node:dns";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runOk } from "../../lib/exec";
import { namespacePids } from "../../lib/cleanup";
import { startWhoamiIn, WHOAMI_PORT, WhoamiServer } from "../../lib/upstream";
import { mirrorSetup } from "../../hosts/lib/rootfs";
import { BRIDGE, NET, PREFIX, UPSTREAM_NS } from "./addresses";
import type { ExitPolicy } from "./nft";

export interface Client {
  /** Network namespace: run commands with `ip netns exec <name> ...` (its resolv.conf is the world's DNS). */
  name: string;
  index: number;
  v4: string;
  v6: string;
}

export { WHOAMI_PORT };

async function ip(args: string[]): Promise<void> {
  await runOk(["ip", ...args], { timeoutMs: 10_000 });
}

/** The machine's non-loopback IPv4 resolvers (the instances use them, as a Linode uses Linode's). */
export function hostResolvers(): string[] {
  return readFileSync("/etc/resolv.conf", "utf8")
    .split("\n")
    .map((l) => /^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1])
    .filter((a): a is string => a !== undefined && !a.startsWith("127."));
}

/** Who the NAT lets through, and the interface it leaves by. */
export async function exitPolicy(): Promise<ExitPolicy & { uplink: string; pinned: PinnedRoute[] }> {
  const mirror = mirrorSetup();
  const mirrorV4 = [...new Set((await Promise.all(mirror.hosts.map((h) => dns.lookup(h, { all: true, family: 4 })))).flat().map((a) => a.address))].sort();
  const resolvers = hostResolvers();
  if (mirrorV4.length === 0 || resolvers.length === 0)
    throw new Error(`cannot give the instances apt: mirror ${mirror.hosts.join(",")} -> [${mirrorV4}], resolvers [${resolvers}]`);
  const route = (await runOk(["ip", "-4", "route", "get", mirrorV4[0]])).stdout;
  const uplink = /\bdev (\S+)/.exec(route)?.[1];
  if (!uplink) throw new Error(`no route to the mirror ${mirrorV4[0]}`);
  // This machine's mirror may itself sit in 203.0.113.0/24 (here it does): those
  // addresses keep a /32 route through the uplink, taken before the bridge exists.
  const pinned: PinnedRoute[] = [];
  for (const addr of [...mirrorV4, ...resolvers].filter(inWorldV4)) {
    const r = (await runOk(["ip", "-4", "route", "get", addr])).stdout;
    const dev = /\bdev (\S+)/.exec(r)?.[1];
    if (!dev || dev.startsWith(`${PREFIX}-`)) throw new Error(`no route to ${addr} outside the world (is a world running? sandbox.sh stop)`);
    pinned.push({ addr, via: /\bvia (\S+)/.exec(r)?.[1], dev });
  }
  return { mirrorV4, resolvers, uplink, pinned };
}

/** A /32 kept on the real network although it lies in the world's IPv4 subnet. */
export interface PinnedRoute {
  addr: string;
  via?: string;
  dev: string;
}

/** Whether an IPv4 address lies in the world bridge's subnet (203.0.113.0/24). */
function inWorldV4(addr: string): boolean {
  return addr.startsWith("203.0.113.");
}

/** `ip route` arguments of a pinned route (add/delete). */
export function pinnedRouteArgs(p: PinnedRoute): string[] {
  return [`${p.addr}/32`, ...(p.via ? ["via", p.via] : []), "dev", p.dev];
}

/** Files of the world outside its state dir (swept by prefix). */
export const NETNS_ETC = "/etc/netns";

export class WorldNetwork {
  private clientCount = 0;
  /** The upstream's whoami service: `connections()` lists who reached it. */
  whoami: WhoamiServer | undefined;
  readonly clients: Client[] = [];

  constructor(
    private readonly stateDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Bridge, forwarding on the bridge and the uplink (saved for stop), upstream namespace. */
  async build(uplink: string, pinned: PinnedRoute[] = []): Promise<void> {
    // A fixed MAC: a bridge otherwise takes its lowest port's, which changes as ports come and go.
    await ip(["link", "add", BRIDGE, "address", "02:00:00:00:77:01", "type", "bridge"]);
    await ip(["addr", "add", `${NET.gatewayV4}/${NET.v4Prefix}`, "dev", BRIDGE]);
    await ip(["addr", "add", `${NET.gatewayV6}/${NET.v6Prefix}`, "dev", BRIDGE, "nodad"]);
    await ip(["link", "set", BRIDGE, "up"]);
    if (pinned.length) {
      // Recorded first, so that a sweep after a crash removes them too.
      writeFileSync(join(this.stateDir, "pinned-routes"), pinned.map((p) => `${pinnedRouteArgs(p).join(" ")}\n`).join(""));
      for (const p of pinned) await ip(["route", "replace", ...pinnedRouteArgs(p)]);
      // Hosts on the bridge see those addresses on-link: this machine answers their ARP (proxy ARP
      // only answers for addresses routed through another interface) and forwards to the NAT.
      writeFileSync(`/proc/sys/net/ipv4/conf/${BRIDGE}/proxy_arp`, "1");
      this.log(
        `world: ${pinned.map((p) => p.addr).join(", ")} (this machine's mirror/resolver) lie in the world's subnet: kept routed through ${pinned[0].dev}, proxy ARP on ${BRIDGE}`,
      );
    }
    const saved = join(this.stateDir, "forwarding.saved");
    const uplinkPath = `/proc/sys/net/ipv4/conf/${uplink}/forwarding`;
    if (!existsSync(saved)) writeFileSync(saved, `${uplinkPath} ${readFileSync(uplinkPath, "utf8").trim()}\n`);
    for (const p of [`/proc/sys/net/ipv4/conf/${BRIDGE}/forwarding`, uplinkPath]) writeFileSync(p, "1");
    await this.addNamespace({ name: UPSTREAM_NS, index: 0, v4: NET.upstreamV4, v6: NET.upstreamV6 });
    // The upstream routes between the instances' /64s (it is their IPv6 gateway).
    await runOk(["ip", "netns", "exec", UPSTREAM_NS, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"]);
    await this.startWhoami();
    this.log(
      `world: bridge ${BRIDGE} ${NET.gatewayV4}/${NET.v4Prefix} ${NET.gatewayV6}/${NET.v6Prefix}; upstream ${UPSTREAM_NS} ${NET.upstreamV4} ${NET.upstreamV6} (whoami on tcp ${WHOAMI_PORT})`,
    );
  }

  /** test/lib's whoami service (answers each TCP connection with the caller's address) in the upstream. */
  private async startWhoami(): Promise<void> {
    this.whoami = await startWhoamiIn(UPSTREAM_NS, WHOAMI_PORT);
  }

  private async addNamespace(ns: Client, resolver?: string): Promise<void> {
    if (resolver) {
      // `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
      mkdirSync(join(NETNS_ETC, ns.name), { recursive: true });
      writeFileSync(join(NETNS_ETC, ns.name, "resolv.conf"), `nameserver ${resolver}\n`);
    }
    await ip(["netns", "add", ns.name]);
    await ip(["-n", ns.name, "link", "set", "lo", "up"]);
    await ip(["link", "add", `${ns.name}-p`, "type", "veth", "peer", "name", "eth0", "netns", ns.name]);
    await ip(["link", "set", `${ns.name}-p`, "master", BRIDGE, "up"]);
    await ip(["-n", ns.name, "addr", "add", `${ns.v4}/${NET.v4Prefix}`, "dev", "eth0"]);
    await ip(["-n", ns.name, "addr", "add", `${ns.v6}/${NET.v6Prefix}`, "dev", "eth0", "nodad"]);
    await ip(["-n", ns.name, "link", "set", "eth0", "up"]);
  }

  /**
   * A client machine on the Internet: addresses on the bridge's subnets (it reaches
   * the instances, the upstream and the DNS server directly, nothing else), its
   * resolver the world's DNS.
   */
  async addClient(): Promise<Client> {
    const n = ++this.clientCount;
    const c: Client = { name: `${PREFIX}-c${n}`, index: n, v4: NET.clientV4(n), v6: NET.clientV6(n) };
    this.clients.push(c);
    await this.addNamespace(c, NET.dns);
    return c;
  }

  async removeClient(c: Client): Promise<void> {
    const i = this.clients.indexOf(c);
    if (i >= 0) this.clients.splice(i, 1);
    await deleteNamespace(c.name);
  }

  /** The /64 goes to the instance's SLAAC address, from the upstream and from this machine. */
  async routeRange(range: string, via: string): Promise<void> {
    await ip(["-n", UPSTREAM_NS, "-6", "route", "replace", range, "via", via, "dev", "eth0"]);
    await ip(["-6", "route", "replace", range, "via", via, "dev", BRIDGE]);
  }

  async unrouteRange(range: string): Promise<void> {
    await run(["ip", "-n", UPSTREAM_NS, "-6", "route", "delete", range]);
    await run(["ip", "-6", "route", "delete", range]);
  }
}

export async function deleteNamespace(name: string): Promise<void> {
  // The host end of the namespace's veth goes now, not when the kernel finally frees the
  // namespace (after its last process exits, or later): the name can be reused at once.
  if (existsSync(`/sys/class/net/${name}-p`)) await run(["ip", "link", "delete", `${name}-p`]);
  for (const pid of namespacePids(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  await run(["ip", "netns", "delete", name]);
  rmSync(join(NETNS_ETC, name), { recursive: true, force: true });
}
