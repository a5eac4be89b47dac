// The lab the disposable hosts live in: one bridge in this machine's namespace
// (documentation addresses only), the hosts' eth0s, an "upstream" namespace
// standing for the Internet, and client namespaces. The only way out is a NAT
// that lets the hosts reach this machine's Debian mirror (tcp 80/443) and its
// resolver (53): apt works, nothing else leaves.
//
//   host vh-a eth0 .10 ──┐
//   host vh-b eth0 .11 ──┤ vh-br 198.51.100.1/24 ── NAT (mirror + resolver only)
//   upstream (vh-up) .2 ─┤ 2001:db8:5100::/64
//   client vh-c1 .101 ───┘ (clients route only to the hosts: the rest goes through the tunnel)
//
// Everything is named with the vh- prefix; sweep() removes what a crashed run
// left behind (cgroups' processes, mounts, namespaces, links, the nft table).
import { promises as dns } from "node:dns";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runOk } from "../../lib/exec";
import { namespacePids, trackNamespace, untrackNamespace } from "../../lib/cleanup";
import { atExit } from "./exit";
import { CACHE_DIR, mirrorSetup } from "./rootfs";

export const PREFIX = "vh";
export const BRIDGE = `${PREFIX}-br`;
const NFT_TABLE = `${PREFIX}_test_hosts`;
const FORWARDING_SAVED = join(CACHE_DIR, "forwarding.saved");
/** Per-run state of the hosts (overlay upper dirs, logs). */
export const RUN_DIR = join(CACHE_DIR, "run");
/** cgroup hierarchies a host's processes are put in (hybrid v1 + v2, no systemd on this machine). */
export const CGROUP_ROOTS = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"].map((r) => join(r, PREFIX));

export const NET = {
  gatewayV4: "198.51.100.1",
  v4Prefix: 24,
  v6Prefix: 64,
  upstreamV4: "198.51.100.2",
  upstreamV6: "2001:db8:5100::2",
  hostV4: (i: number) => `198.51.100.${10 + i}`,
  hostV6: (i: number) => `2001:db8:5100::${(0x10 + i).toString(16)}`,
  /** The /64 "Linode" routes to host i (renderRegion's ipv6Range). */
  routedV6: (i: number) => `2001:db8:51${(i + 1).toString(16).padStart(2, "0")}::/64`,
  clientV4: (i: number) => `198.51.100.${100 + i}`,
  clientV6: (i: number) => `2001:db8:5100::${(0x100 + i).toString(16)}`,
} as const;

export interface Namespace {
  name: string;
  index: number;
  v4: string;
  v6: string;
}

async function ip(args: string[]): Promise<void> {
  await runOk(["ip", ...args], { timeoutMs: 10_000 });
}

function readSysctl(path: string): string {
  return readFileSync(path, "utf8").trim();
}

export class Lab {
  readonly upstream: Namespace = { name: `${PREFIX}-up`, index: 0, v4: NET.upstreamV4, v6: NET.upstreamV6 };
  /** The host's resolvers, written into each host's resolv.conf. */
  resolvers: string[] = [];
  private clients: Namespace[] = [];
  private clientCount = 0;
  private forgetExitHook: () => void = () => undefined;
  private routedTo = new Set<number>();

  private constructor(private readonly log: (msg: string) => void) {}

  static async create(log: (msg: string) => void): Promise<Lab> {
    const lab = new Lab(log);
    await sweep();
    // Namespaces are deleted by test/lib's exit hook, the hosts by theirs; this puts back the rest.
    lab.forgetExitHook = atExit(teardownNetwork);
    try {
      await lab.build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  private async build(): Promise<void> {
    const mirror = mirrorSetup();
    const mirrorV4 = [...new Set((await Promise.all(mirror.hosts.map((h) => dns.lookup(h, { all: true, family: 4 })))).flat().map((a) => a.address))];
    this.resolvers = readFileSync("/etc/resolv.conf", "utf8")
      .split("\n")
      .map((l) => /^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1])
      .filter((a): a is string => a !== undefined && !a.startsWith("127."));
    if (mirrorV4.length === 0 || this.resolvers.length === 0) {
      throw new Error(`cannot give the hosts apt: mirror ${mirror.hosts.join(",")} -> [${mirrorV4}], resolvers [${this.resolvers}]`);
    }
    const uplink = /\bdev (\S+)/.exec((await runOk(["ip", "-4", "route", "get", mirrorV4[0]])).stdout)?.[1];
    if (!uplink) throw new Error(`no route to the mirror ${mirrorV4[0]}`);

    // A fixed MAC: a bridge otherwise takes its lowest port's, which changes as clients come and go
    // and leaves the hosts' neighbour entries for this side stale for seconds.
    await ip(["link", "add", BRIDGE, "address", "02:00:00:00:5b:01", "type", "bridge"]);
    await ip(["addr", "add", `${NET.gatewayV4}/${NET.v4Prefix}`, "dev", BRIDGE]);
    await ip(["link", "set", BRIDGE, "up"]);
    // IPv4 forwarding only on the two interfaces the NAT joins (and put back at the end).
    const paths = [BRIDGE, uplink].map((d) => `/proc/sys/net/ipv4/conf/${d}/forwarding`);
    writeFileSync(
      FORWARDING_SAVED,
      paths
        .filter((p) => p.includes(`/${uplink}/`))
        .map((p) => `${p} ${readSysctl(p)}\n`)
        .join(""),
    );
    for (const p of paths) writeFileSync(p, "1");
    const nft = `
table inet ${NFT_TABLE} {
  chain forward {
    type filter hook forward priority filter - 1; policy accept;
    iifname "${BRIDGE}" oifname != "${BRIDGE}" ip daddr { ${mirrorV4.join(", ")} } tcp dport { 80, 443 } accept
    iifname "${BRIDGE}" oifname != "${BRIDGE}" ip daddr { ${this.resolvers.join(", ")} } meta l4proto { tcp, udp } th dport 53 accept
    iifname "${BRIDGE}" oifname != "${BRIDGE}" drop
    oifname "${BRIDGE}" iifname != "${BRIDGE}" ct state established,related accept
    oifname "${BRIDGE}" iifname != "${BRIDGE}" drop
  }
  chain input {
    type filter hook input priority filter - 1; policy accept;
    iifname "${BRIDGE}" ct state established,related accept
    iifname "${BRIDGE}" meta l4proto { icmp, ipv6-icmp } accept
    iifname "${BRIDGE}" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    iifname "${BRIDGE}" oifname != "${BRIDGE}" masquerade
  }
}`;
    await runOk(["nft", "-f", "-"], { input: nft });
    this.log(
      `lab: bridge ${BRIDGE} ${NET.gatewayV4}/${NET.v4Prefix}; hosts reach only the Debian mirror ${mirrorV4.join(",")} (tcp 80/443) and the resolver ${this.resolvers.join(",")} (53)`,
    );
    await this.addNamespace(this.upstream);
  }

  private async addNamespace(ns: Namespace, onlyTo?: { v4: string; v6: string }): Promise<void> {
    trackNamespace(ns.name);
    await ip(["netns", "add", ns.name]);
    await ip(["-n", ns.name, "link", "set", "lo", "up"]);
    await ip(["link", "add", `${ns.name}-p`, "type", "veth", "peer", "name", "eth0", "netns", ns.name]);
    await ip(["link", "set", `${ns.name}-p`, "master", BRIDGE, "up"]);
    if (onlyTo) {
      // A client reaches nothing but its server directly.
      await ip(["-n", ns.name, "addr", "add", `${ns.v4}/32`, "dev", "eth0"]);
      await ip(["-n", ns.name, "addr", "add", `${ns.v6}/128`, "dev", "eth0", "nodad"]);
      await ip(["-n", ns.name, "link", "set", "eth0", "up"]);
      await ip(["-n", ns.name, "route", "add", `${onlyTo.v4}/32`, "dev", "eth0"]);
      await ip(["-n", ns.name, "-6", "route", "add", `${onlyTo.v6}/128`, "dev", "eth0"]);
    } else {
      await ip(["-n", ns.name, "addr", "add", `${ns.v4}/${NET.v4Prefix}`, "dev", "eth0"]);
      await ip(["-n", ns.name, "addr", "add", `${ns.v6}/${NET.v6Prefix}`, "dev", "eth0", "nodad"]);
      await ip(["-n", ns.name, "link", "set", "eth0", "up"]);
    }
  }

  /** The upstream routes host i's /64 to it, as the provider does. */
  async routeV6RangeTo(hostIndex: number): Promise<void> {
    if (this.routedTo.has(hostIndex)) return;
    await ip(["-n", this.upstream.name, "-6", "route", "add", NET.routedV6(hostIndex), "via", NET.hostV6(hostIndex)]);
    this.routedTo.add(hostIndex);
  }

  /** A client machine that can reach only host `hostIndex` directly. */
  async addClient(hostIndex: number): Promise<Namespace> {
    const i = ++this.clientCount;
    const ns: Namespace = { name: `${PREFIX}-c${i}`, index: i, v4: NET.clientV4(i), v6: NET.clientV6(i) };
    this.clients.push(ns);
    await this.addNamespace(ns, { v4: NET.hostV4(hostIndex), v6: NET.hostV6(hostIndex) });
    return ns;
  }

  async removeClient(ns: Namespace): Promise<void> {
    this.clients = this.clients.filter((c) => c !== ns);
    await deleteNamespace(ns.name);
  }

  async destroy(): Promise<void> {
    for (const ns of [...this.clients, this.upstream]) await deleteNamespace(ns.name);
    this.clients = [];
    teardownNetwork();
    for (const root of CGROUP_ROOTS) removeCgroupTree(root);
    try {
      rmdirSync(RUN_DIR); // empty once every host is destroyed; left alone otherwise
    } catch {
      /* absent or not empty */
    }
    this.forgetExitHook();
  }
}

async function deleteNamespace(name: string): Promise<void> {
  for (const pid of namespacePids(name)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  await run(["ip", "netns", "delete", name]);
  untrackNamespace(name);
}

/** Synchronous, so that it also runs from the exit hook. */
function teardownNetwork(): void {
  const quiet = (argv: string[]) => {
    try {
      execFileSync(argv[0], argv.slice(1), { stdio: "ignore" });
    } catch {
      /* already gone */
    }
  };
  quiet(["nft", "delete", "table", "inet", NFT_TABLE]);
  quiet(["ip", "link", "delete", BRIDGE]);
  if (existsSync(FORWARDING_SAVED)) {
    for (const line of readFileSync(FORWARDING_SAVED, "utf8").split("\n").filter(Boolean)) {
      const [path, value] = line.split(" ");
      if (existsSync(path)) writeFileSync(path, value);
    }
    rmSync(FORWARDING_SAVED);
  }
}

/** PIDs in the cgroup `dir` and its descendants. */
export function cgroupPids(dir: string): number[] {
  try {
    const own = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
    const subs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
    return [...own, ...subs.flatMap((e) => cgroupPids(join(dir, e.name)))];
  } catch {
    return []; // absent, or removed meanwhile
  }
}

/** Kills every process in our cgroup subtree `dir` (they are all the hosts') and removes it depth-first. */
export function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  const kill = join(dir, "cgroup.kill");
  if (existsSync(kill)) writeFileSync(kill, "1");
  for (const pid of cgroupPids(dir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  const rmdirs = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirs(join(d, e.name));
    // A cgroup whose last process is still exiting is busy for a moment.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        execFileSync("rmdir", [d], { stdio: "ignore" });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
  };
  rmdirs(dir);
}

/** Removes whatever an earlier (crashed) run left: hosts' processes, mounts, namespaces, links, NAT. */
export async function sweep(): Promise<void> {
  for (const root of CGROUP_ROOTS) removeCgroupTree(root);
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1])
    .filter((m) => m && m.startsWith(`${RUN_DIR}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run(["umount", "-l", m]);
  rmSync(RUN_DIR, { recursive: true, force: true });
  const netns = (await run(["ip", "netns", "list"])).stdout.split("\n").map((l) => l.split(" ")[0]);
  for (const ns of netns.filter((n) => n.startsWith(`${PREFIX}-`))) await deleteNamespace(ns);
  const links = (await run(["ip", "-o", "link", "show"])).stdout.split("\n").map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]);
  for (const l of links.filter((n): n is string => !!n && n.startsWith(`${PREFIX}-`) && n !== BRIDGE)) await run(["ip", "link", "delete", l]);
  teardownNetwork();
}
