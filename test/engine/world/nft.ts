// The world's one nftables table (`inet vs_world`), rendered whole and loaded in
// one `nft -f` transaction (delete + define), so every firewall apply() is atomic.
//
// Two jobs:
// 1. Linode Cloud Firewall semantics on the path to each instance. The instances'
//    veths are ports of vs-br, and bridged IPv4/IPv6 traffic passes the inet hooks
//    (br_netfilter; this kernel has net.bridge.bridge-nf-call-ip{,6}tables=1), so the
//    forward hook sees instance <-> Internet traffic, input/output this machine's own
//    (the Pulumi program's SSH, for one). A firewall is matched by its devices'
//    addresses (IPv4, SLAAC, routed range): inbound rules for packets to them,
//    outbound rules for packets from them. Stateful: established/related pass
//    (https://techdocs.akamai.com/cloud-computing/docs/cloud-firewall: "rules are
//    stateful"). Rule semantics from the Linode API's firewall rules object:
//    protocol TCP/UDP/ICMP/IPENCAP, `ports` a comma list of ports and ranges
//    (all ports when absent), `addresses.ipv4/ipv6` the remote side; a rule lists
//    the families it applies to, so one without IPv6 addresses does not match IPv6.
//    Neighbour discovery is never filtered (Linode's firewall sits behind the
//    router; NDP with the gateway is not traffic "to the Linode").
// 2. The exit to this machine's Debian mirror (as test/hosts/lib/lab.ts): instances
//    reach only the mirror (tcp 80/443) and the resolver (53) through the NAT.
import { runOk } from "../../lib/exec";
import type { FirewallState, LinodeFirewallRule } from "./api/backends";
import { BRIDGE, NET, NFT_TABLE } from "./addresses";

export interface ExitPolicy {
  mirrorV4: string[];
  resolvers: string[];
}

const PORT_RE = /^\d{1,5}(-\d{1,5})?$/;

/** "22,500-600" -> "22, 500-600" for an nft set; throws on anything else (the API validates first). */
export function nftPorts(ports: string): string {
  const items = ports.split(",").map((p) => p.trim());
  for (const p of items) {
    if (!PORT_RE.test(p) || p.split("-").some((n) => Number(n) < 1 || Number(n) > 65535))
      throw new Error(`firewall rule ports: bad item ${JSON.stringify(p)} in ${JSON.stringify(ports)}`);
  }
  return items.join(", ");
}

/** The nft statements of one rule; `remote` is "saddr" for inbound, "daddr" for outbound. */
function ruleLines(rule: LinodeFirewallRule, remote: "saddr" | "daddr"): string[] {
  const verdict = rule.action === "ACCEPT" ? "return" : "drop";
  const out: string[] = [];
  for (const [family, list] of [
    ["ip", rule.addresses.ipv4 ?? []],
    ["ip6", rule.addresses.ipv6 ?? []],
  ] as const) {
    let proto: string;
    switch (rule.protocol) {
      case "TCP":
      case "UDP":
        proto = `meta l4proto ${rule.protocol.toLowerCase()}${rule.ports ? ` th dport { ${nftPorts(rule.ports)} }` : ""}`;
        break;
      case "ICMP":
        proto = `meta l4proto ${family === "ip" ? "icmp" : "ipv6-icmp"}`;
        break;
      case "IPENCAP":
        proto = "meta l4proto 4";
        break;
      default:
        throw new Error(`firewall rule ${rule.label}: protocol ${JSON.stringify(rule.protocol)} unknown`);
    }
    // One line per address: an anonymous set would refuse overlapping networks.
    for (const addr of list)
      out.push(`${family} ${remote} ${addr} ${proto} ${verdict} comment "${rule.label.replace(/[^A-Za-z0-9 ._-]/g, "_").slice(0, 100)}"`);
  }
  return out;
}

function deviceMatches(fw: FirewallState, side: "daddr" | "saddr"): string[] {
  return fw.devices.flatMap((d) => [`ip ${side} ${d.ipv4}`, `ip6 ${side} ${d.ipv6Slaac}`, ...(d.range ? [`ip6 ${side} ${d.range}`] : [])]);
}

export function renderTable(exit: ExitPolicy, firewalls: FirewallState[]): string {
  const active = firewalls.filter((f) => f.status === "enabled" && f.devices.length > 0);
  const chains: string[] = [];
  const toInstances: string[] = [];
  const fromInstances: string[] = [];
  for (const fw of active) {
    const inbound = fw.inbound.flatMap((r) => ruleLines(r, "saddr"));
    const outbound = fw.outbound.flatMap((r) => ruleLines(r, "daddr"));
    chains.push(`  chain fw${fw.id}_in {\n${[...inbound, ...(fw.inbound_policy === "DROP" ? ["drop"] : [])].map((l) => `    ${l}\n`).join("")}  }`);
    chains.push(`  chain fw${fw.id}_out {\n${[...outbound, ...(fw.outbound_policy === "DROP" ? ["drop"] : [])].map((l) => `    ${l}\n`).join("")}  }`);
    toInstances.push(...deviceMatches(fw, "daddr").map((m) => `${m} jump fw${fw.id}_in`));
    fromInstances.push(...deviceMatches(fw, "saddr").map((m) => `${m} jump fw${fw.id}_out`));
  }
  const nd = "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept";
  const lines = (xs: string[]) => xs.map((l) => `    ${l}\n`).join("");
  return `table inet ${NFT_TABLE} {
${chains.join("\n")}
  chain to_instances {
${lines(toInstances)}  }
  chain from_instances {
${lines(fromInstances)}  }
  chain forward {
    type filter hook forward priority filter - 2; policy accept;
    ct state established,related accept
    ${nd}
    jump from_instances
    jump to_instances
    iifname "${BRIDGE}" oifname != "${BRIDGE}" ip daddr { ${exit.mirrorV4.join(", ")} } tcp dport { 80, 443 } accept
    iifname "${BRIDGE}" oifname != "${BRIDGE}" ip daddr { ${exit.resolvers.join(", ")} } meta l4proto { tcp, udp } th dport 53 accept
    iifname "${BRIDGE}" oifname != "${BRIDGE}" drop
    oifname "${BRIDGE}" iifname != "${BRIDGE}" drop
  }
  chain input {
    type filter hook input priority filter - 2; policy accept;
    iifname != "${BRIDGE}" accept
    ct state established,related accept
    ${nd}
    jump from_instances
    meta l4proto { icmp, ipv6-icmp } accept
    ip daddr ${NET.dns} meta l4proto { tcp, udp } th dport 53 accept
    drop
  }
  chain output {
    type filter hook output priority filter - 2; policy accept;
    oifname != "${BRIDGE}" accept
    ct state established,related accept
    ${nd}
    jump to_instances
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    iifname "${BRIDGE}" oifname != "${BRIDGE}" masquerade
  }
}
`;
}

/** Replaces the whole table in one transaction (nft -f applies a file atomically). */
export async function loadTable(text: string): Promise<void> {
  await runOk(["nft", "-f", "-"], { input: `table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n${text}`, timeoutMs: 20_000 });
}
