// Address layout of a region: the client pools, and the stand-in addresses that
// offline renders use before the VM exists.
import { formatIp, mustCidr, parseIp } from "./net";
import type { RegionAddresses } from "./types";

/** Clients take IPv6 addresses from this slice of the routed /64 (prefix::1:0/112). */
export function ipv6Pool(ipv6Range: string): string {
  const range = mustCidr(normalizeRange(ipv6Range));
  return `${formatIp(6, range.base + 0x10000n)}/112`;
}

/**
 * The server's own addresses inside the client pools, where its resolver answers
 * (model/server/resolver.ts): reachable only through the tunnel (the firewall lets
 * only tunnel traffic from the pools reach them). IPv4: the first usable address
 * of vpn:poolV4, kept out of the leases (model/server/pools.ts). IPv6: the IPv6
 * pool's first address, which strongSwan never leases from a CIDR pool (it starts
 * at the second, measured with 5.9.8).
 */
export function resolverAddresses(poolV4: string, poolV6: string): { v4: string; v6: string } {
  return { v4: formatIp(4, mustCidr(poolV4).base + 1n), v6: formatIp(6, mustCidr(poolV6).base) };
}

/** Linode reports the range with or without its length; we always carry `prefix::/64`. */
export function normalizeRange(range: string): string {
  const [addr] = range.split("/");
  const ip = parseIp(addr);
  if (!ip || ip.family !== 6) throw new Error(`not an IPv6 range: ${range}`);
  const base = ip.value & ~((1n << 64n) - 1n);
  return `${formatIp(6, base)}/64`;
}

/** Documentation addresses (RFC 5737 / RFC 3849), distinct per region index. */
export function placeholderAddresses(index: number): RegionAddresses {
  return {
    ipv4: `192.0.2.${10 + index}`,
    ipv6: `2001:db8:0:${(index + 1).toString(16)}::1`,
    ipv6Range: `2001:db8:1:${(index + 1).toString(16)}::/64`,
  };
}
