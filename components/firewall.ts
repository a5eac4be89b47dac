// The Cloud Firewall rules, as data (unit-tested without Pulumi).
export interface FirewallRule {
  label: string;
  action: "ACCEPT" | "DROP";
  protocol: "TCP" | "UDP" | "ICMP";
  ports?: string;
  ipv4s?: string[];
  ipv6s?: string[];
}

const ANYWHERE = { ipv4s: ["0.0.0.0/0"], ipv6s: ["::/0"] };

/** Inbound rules; the policy drops everything else. ESP cannot pass, so IKE forces UDP encapsulation. */
export function inboundRules(sshAllowedCidrs: string[], options: { shareLinks?: boolean } = {}): FirewallRule[] {
  const v4 = sshAllowedCidrs.filter((c) => !c.includes(":"));
  const v6 = sshAllowedCidrs.filter((c) => c.includes(":"));
  return [
    { label: "ike-natt", action: "ACCEPT", protocol: "UDP", ports: "500,4500", ...ANYWHERE },
    { label: "ssh", action: "ACCEPT", protocol: "TCP", ports: "22", ...(v4.length ? { ipv4s: v4 } : {}), ...(v6.length ? { ipv6s: v6 } : {}) },
    // One-time profile links (nginx, model/server/share.ts); closed with vpn:shareLinks: false.
    ...(options.shareLinks === false ? [] : [{ label: "share-links", action: "ACCEPT" as const, protocol: "TCP" as const, ports: "443", ...ANYWHERE }]),
    { label: "icmp", action: "ACCEPT", protocol: "ICMP", ...ANYWHERE },
  ];
}
