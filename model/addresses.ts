// Address layout of a region: the client pools, and the stand-in addresses that
// offline renders use before the VM exists.
import { formatIp, mustCidr, parseIp } from "../config/net";
import type { RegionAddresses } from "./types";

/** Clients take IPv6 addresses from this slice of the routed /64 (prefix::1:0/112). */
export function ipv6Pool(ipv6Range: string): string {
  const range = mustCidr(normalizeRange(ipv6Range));
  return `${formatIp(6, range.base + 0x10000n)}/112`;
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
