// Client address pools. strongSwan pools must not overlap, so addresses reserved
// for static users are cut out of the dynamic IPv4 range, which may then need
// several `a-b` pools. The range starts at the second usable address: the first
// is the server's own (its resolver).
//
// Pool names say which addresses they hold (offsets inside vpn:poolV4), so a
// pool keeps its name and range when unrelated static users come or go:
// `swanctl --load-pools` keeps a pool whose name and range are unchanged, leases
// and all, but refuses to replace or unload one that has online leases. Limitation
// (strongSwan 5.9 vici pools): adding or removing a static address splits or
// merges the dynamic range around it, which is refused while a client holds an
// address in that range; that change needs a restart of strongSwan.
import { formatIp, mustCidr, parseIp, cidrSize } from "../net";
import type { UserSpec } from "../types";

export interface PoolDef {
  name: string;
  addrs: string;
  dns: string[];
}

export interface PoolLayout {
  /** Pools every user may draw from (dynamic v4 ranges, then the v6 pool). */
  shared: PoolDef[];
  /** One single-address pool per static user, by user name. */
  staticByUser: Map<string, PoolDef>;
}

export function poolLayout(poolV4: string, poolV6: string, users: UserSpec[], dnsServers: string[]): PoolLayout {
  const v4dns = dnsServers.filter((d) => parseIp(d)?.family === 4);
  const v6dns = dnsServers.filter((d) => parseIp(d)?.family === 6);
  const cidr = mustCidr(poolV4);
  // The first usable address is the server's own (its resolver, model/addresses.ts).
  const first = cidr.base + 2n;
  const last = cidr.base + cidrSize(cidr) - 2n;
  const statics = users
    .filter((u) => u.staticIpv4)
    .map((u) => ({ user: u.name, value: parseIp(u.staticIpv4!)!.value }))
    .sort((a, b) => (a.value < b.value ? -1 : 1));

  const ranges: Array<[bigint, bigint]> = [];
  let start = first;
  for (const s of statics) {
    if (s.value > start) ranges.push([start, s.value - 1n]);
    start = s.value + 1n;
  }
  if (start <= last) ranges.push([start, last]);

  const offset = (v: bigint) => (v - cidr.base).toString();
  const shared: PoolDef[] = ranges.map(([a, b]) => ({
    name: statics.length === 0 ? "pool-v4" : `pool-v4-${offset(a)}-${offset(b)}`,
    addrs: `${formatIp(4, a)}-${formatIp(4, b)}`,
    dns: v4dns,
  }));
  shared.push({ name: "pool-v6", addrs: poolV6, dns: v6dns });

  const staticByUser = new Map<string, PoolDef>();
  for (const s of statics) staticByUser.set(s.user, { name: `static-v4-${offset(s.value)}`, addrs: `${formatIp(4, s.value)}/32`, dns: v4dns });
  return { shared, staticByUser };
}
