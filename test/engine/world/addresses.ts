// Names and addresses of the local Linode world (agreed in /work/coord/INTERFACES.md).
// Documentation ranges only (RFC 5737 203.0.113.0/24, RFC 3849 2001:db8::/32).
//
//   instance i eth0 203.0.113.(10+i) 2001:db8:7700::(100+i) ─┐
//   upstream  vs-up 203.0.113.2      2001:db8:7700::2       ─┤ vs-br 203.0.113.1/24, 2001:db8:7700::1/64
//   client    vs-cN 203.0.113.(150+N) 2001:db8:7700::c:N    ─┘   ("the Internet"; NAT to the Debian mirror only)
//   routed /64 of instance i: 2001:db8:77(10+i in hex)::/64, next hop its SLAAC address
import { join } from "node:path";
import type { AddressPlan } from "./api/backends";

export const PREFIX = "vs";
export const BRIDGE = `${PREFIX}-br`;
export const UPSTREAM_NS = `${PREFIX}-up`;
export const NFT_TABLE = `${PREFIX}_world`;
/** cgroup hierarchies the instances' processes live in (hybrid v1 + v2, no systemd on this machine). */
export const CGROUP_ROOTS = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"].map((r) => join(r, PREFIX));
/** The world's state (pid, log, env, status, instances' overlays, BIND, Pebble, the Pulumi file backend). */
export const DEFAULT_STATE_DIR = process.env.VPN_SANDBOX_DIR ?? "/var/lib/vpn-sandbox";

export const NET = {
  v4Prefix: 24,
  v6Prefix: 64,
  gatewayV4: "203.0.113.1",
  gatewayV6: "2001:db8:7700::1",
  upstreamV4: "203.0.113.2",
  upstreamV6: "2001:db8:7700::2",
  /** The authoritative DNS server of the world (BIND), on this machine's side of the bridge. */
  dns: "203.0.113.1",
  clientV4: (n: number) => `203.0.113.${150 + n}`,
  clientV6: (n: number) => `2001:db8:7700::c:${n.toString(16)}`,
} as const;

/** Instance i (1-based, in creation order). */
export const addressPlan: AddressPlan = {
  ipv4(i) {
    if (!Number.isInteger(i) || i < 1 || i > 139) throw new Error(`instance index ${i} outside the world's plan (1..139)`);
    return `203.0.113.${10 + i}`;
  },
  ipv6Slaac(i) {
    addressPlan.ipv4(i);
    return `2001:db8:7700::${100 + i}`;
  },
  range64(i) {
    addressPlan.ipv4(i);
    return `2001:db8:77${(10 + i).toString(16).padStart(2, "0")}::/64`;
  },
};

/** Host-side interface (and machine name) of instance `id`; at most 15 characters. */
export function instanceName(id: number): string {
  const name = `${PREFIX}-i${id}`;
  if (name.length > 15) throw new Error(`instance id ${id} too long for an interface name`);
  return name;
}
