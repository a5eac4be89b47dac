// The whole program as one testable function (index.ts only reads config and
// exports what this returns): users, one VpnRegion per region, and the outputs.
import * as pulumi from "@pulumi/pulumi";
import type { RegionSpec, VpnConfig } from "../model/types";
import { RegionCertificate, VpnRegion } from "./vpnRegion";
import { VpnUsers } from "./vpnUsers";

export type CertificateFactory = (region: RegionSpec, parent: pulumi.Resource) => RegionCertificate;

export interface VpnStackOptions {
  stack: string;
  certificateFor: CertificateFactory;
}

export interface RegionSummary {
  hostname: string;
  ipv4: string;
  ipv6: string;
  ipv6Range: string;
  certificateNotAfter: string;
}

export interface VpnStack {
  regions: Record<string, VpnRegion>;
  /** Per region: addresses and certificate expiry (no secrets). */
  summary: pulumi.Output<Record<string, RegionSummary>>;
  /** user -> password (secret). */
  passwords: pulumi.Output<Record<string, string>>;
}

export function createVpn(config: VpnConfig, opts: VpnStackOptions): VpnStack {
  const users = new VpnUsers("users", { users: config.users, passwords: config.passwords });
  const regions: Record<string, VpnRegion> = {};
  for (const region of config.regions) {
    regions[region.region] = new VpnRegion(region.region, {
      config,
      region,
      stack: opts.stack,
      passwords: users.passwords,
      certificate: (parent) => opts.certificateFor(region, parent),
    });
  }
  const summary = pulumi
    .all(
      Object.entries(regions).map(([key, r]) =>
        pulumi.all([r.hostname, r.ipv4, r.ipv6, r.ipv6Range, r.certificateNotAfter]).apply(([hostname, ipv4, ipv6, ipv6Range, certificateNotAfter]) => [key, { hostname, ipv4, ipv6, ipv6Range, certificateNotAfter }] as const),
      ),
    )
    .apply((entries) => Object.fromEntries(entries));
  return { regions, summary, passwords: users.passwords };
}
