// networking/ips (reverse DNS) and networking/ipv6/ranges (routed ranges).
import type { Router } from "./http";
import { invalid, notFound, objectBody, paged } from "./http";
import type { InstanceRec, RangeRec, World } from "./state";
import { linodeTime } from "./state";
import { canonicalIPv6, isHostname, isIPv6, sameAddress } from "./validate";

/** Linode's default reverse name of a public IPv4 (the provider's Rdns create compares against it: linode/rdns/framework_resource.go). IPv6 SLAAC addresses default to none. */
export function defaultRdns(address: string): string | null {
  return isIPv6(address) ? null : `${address.replace(/\./g, "-")}.ip.linodeusercontent.com`;
}

/** One address as linodego instance_ips.go InstanceIP. */
export function ipBody(world: World, inst: InstanceRec, address: string) {
  const v6 = isIPv6(address);
  return {
    address,
    gateway: v6 ? "fe80::1" : address.replace(/\.\d+$/, ".1"),
    subnet_mask: v6 ? "ffff:ffff:ffff:ffff::" : "255.255.255.0",
    prefix: v6 ? 64 : 24,
    type: v6 ? "ipv6" : "ipv4",
    public: true,
    rdns: world.rdns.get(address) ?? defaultRdns(address),
    linode_id: inst.id,
    region: inst.region,
    interface_id: null,
    vpc_nat_1_1: null,
    reserved: false,
  };
}

function findAddress(world: World, raw: string): { inst: InstanceRec; address: string } {
  for (const inst of world.instances.values()) {
    for (const address of [inst.ipv4, inst.ipv6Slaac]) if (sameAddress(address, raw)) return { inst, address };
  }
  throw notFound();
}

/**
 * PUT networking/ips/{address} {"rdns": name|null}. Linode accepts a name only
 * when it resolves forward to the address and otherwise answers 400 (the
 * provider's wait_for_available retries exactly on 400 or "unable to perform a
 * lookup": linode/rdns/framework_helper.go); null restores the default.
 */
async function setRdns(world: World, raw: string, body: Record<string, unknown>) {
  const { inst, address } = findAddress(world, raw);
  if (!("rdns" in body)) throw invalid("rdns", "rdns is required");
  const rdns = body.rdns;
  if (rdns === null || rdns === "") {
    world.rdns.delete(address);
  } else {
    if (typeof rdns !== "string" || !isHostname(rdns)) throw invalid("rdns", "Must be a valid domain name");
    const name = rdns.replace(/\.$/, "").toLowerCase();
    let resolved: string[];
    try {
      resolved = await world.opts.dns.resolve(name);
    } catch {
      throw invalid("rdns", `We were unable to perform a lookup for '${name}' at this time.`);
    }
    if (!resolved.some((a) => sameAddress(a, address))) {
      throw invalid("rdns", `No match was found for '${name}'. Reverse DNS must have a matching forward entry.`);
    }
    world.rdns.set(address, name);
  }
  world.event("ipaddress_update", { id: inst.id, label: inst.label, type: "linode", url: `/v4/linode/instances/${inst.id}` }, "finished");
  return ipBody(world, inst, address);
}

/** Range path segment: "2001:db8:7711::" (the provider strips the prefix), tolerated with "/64". */
function rangeKey(raw: string): string {
  const base = raw.split("/")[0];
  if (!isIPv6(base)) throw notFound();
  return canonicalIPv6(base);
}

function rangeListBody(world: World, r: RangeRec) {
  const inst = world.instances.get(r.linodeId);
  return { range: r.range, prefix: r.prefix, region: r.region, route_target: inst?.ipv6Slaac ?? null };
}

/** GET networking/ipv6/ranges/{range}: adds is_bgp and linodes (linodego instance_ips.go IPv6Range; provider linode/ipv6range reads them). */
function rangeBody(world: World, r: RangeRec) {
  return { ...rangeListBody(world, r), is_bgp: false, linodes: [r.linodeId] };
}

async function createRange(world: World, body: Record<string, unknown>) {
  const prefix = body.prefix_length;
  if (prefix !== 56 && prefix !== 64) throw invalid("prefix_length", "Must be 56 or 64");
  if (prefix === 56) throw invalid("prefix_length", "The local Linode world offers /64 ranges only");
  let inst: InstanceRec | undefined;
  if (body.linode_id !== undefined) {
    if (typeof body.linode_id !== "number") throw invalid("linode_id", "Must be an integer");
    inst = world.instances.get(body.linode_id);
    if (!inst) throw invalid("linode_id", "Linode not found");
  } else if (typeof body.route_target === "string") {
    inst = [...world.instances.values()].find((i) => sameAddress(i.ipv6Slaac, String(body.route_target).split("/")[0]));
    if (!inst) throw invalid("route_target", "route_target must be the SLAAC address of one of your Linodes");
  } else {
    throw invalid("linode_id", "linode_id or route_target is required");
  }
  if (world.rangeOf(inst.id)) throw invalid("linode_id", "The local Linode world routes one /64 per Linode");
  const range = canonicalIPv6(world.opts.addresses.range64(inst.index).split("/")[0]);
  const rec: RangeRec = { range, prefix: 64, linodeId: inst.id, region: inst.region, created: linodeTime() };
  world.ranges.set(range, rec);
  const target = inst;
  const routed = world.enqueue(`machine:${inst.id}`, () => world.opts.machines.routeRange(target.id, `${range}/64`));
  const applied = world.applyFirewalls();
  // A running Linode's range is routed before we answer; a booting one's is queued behind its boot.
  if (inst.status === "running") await routed;
  else routed.catch(() => undefined);
  await applied;
  // POST answers only these two fields (provider linode/ipv6range/framework_resource.go says so and GETs the rest).
  return { range: `${range}/64`, route_target: inst.ipv6Slaac };
}

async function deleteRange(world: World, raw: string) {
  const key = rangeKey(raw);
  const r = world.ranges.get(key);
  if (!r) throw notFound();
  world.ranges.delete(key);
  await Promise.all([world.enqueue(`machine:${r.linodeId}`, () => world.opts.machines.unrouteRange(`${r.range}/${r.prefix}`)), world.applyFirewalls()]);
  return {};
}

export function registerNetworking(router: Router, world: World): void {
  router
    .on("GET networking/ips", (req) =>
      paged(
        req,
        [...world.instances.values()].flatMap((i) => [ipBody(world, i, i.ipv4), ipBody(world, i, i.ipv6Slaac)]),
      ),
    )
    .on("GET networking/ips/:address", (_req, [raw]) => {
      const { inst, address } = findAddress(world, raw);
      return ipBody(world, inst, address);
    })
    .on("PUT networking/ips/:address", (req, [raw]) => setRdns(world, raw, objectBody(req)))
    .on("GET networking/ipv6/ranges", (req) =>
      paged(
        req,
        [...world.ranges.values()].map((r) => rangeListBody(world, r)),
      ),
    )
    .on("POST networking/ipv6/ranges", (req) => createRange(world, objectBody(req)))
    .on("GET networking/ipv6/ranges/:range", (_req, [raw]) => {
      const r = world.ranges.get(rangeKey(raw));
      if (!r) throw notFound();
      return rangeBody(world, r);
    })
    .on("DELETE networking/ipv6/ranges/:range", (_req, [raw]) => deleteRange(world, raw));
}
