// The whole program as one testable function (index.ts only reads config and
// exports what this returns): users, one VpnRegion per region, and the outputs.
import * as pulumi from "@pulumi/pulumi";
import { Profiles, renderProfiles } from "../model/profiles";
import type { RegionSpec, VpnConfig } from "../model/types";
import { RegionCertificate, VpnRegion } from "./vpnRegion";
import { VpnUsers } from "./vpnUsers";

export type CertificateFactory = (region: RegionSpec, parent: pulumi.Resource, dependsOn: pulumi.Resource[]) => RegionCertificate;

export interface VpnStackOptions {
  stack: string;
  certificateFor: CertificateFactory;
  /** region id -> its capabilities as the Linode API reports them (config/regions.ts). */
  regionCapabilities: Record<string, string[]>;
  /** vpn:image's capabilities as the Linode API reports them. */
  imageCapabilities: string[];
  /** Linode API token and base URL (with /v4) for the hostname pre-flight check. */
  linodeApi?: { token: pulumi.Input<string>; url?: string };
}

/** How to reach one server over SSH, pinned: the `servers` stack output (secret). */
export interface ServerAccess {
  hostname: string;
  /** IPv4 address. */
  host: string;
  user: "root";
  /** OpenSSH private key of the SSH client key the steps log in with. */
  privateKey: string;
  /** The server's SSH host key, "ssh-ed25519 AAAA...". */
  hostKey: string;
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
  /** user -> region -> { apple, appleSigned, windows, android, linuxNm, linuxSwanctl } (secret). */
  profiles: pulumi.Output<Profiles>;
  /** region -> SSH access to its server (secret: holds the client's private key). */
  servers: pulumi.Output<Record<string, ServerAccess>>;
}

export function createVpn(config: VpnConfig, opts: VpnStackOptions): VpnStack {
  const users = new VpnUsers("users", { users: config.users, passwords: config.passwords, rotations: config.rotations });
  const regions: Record<string, VpnRegion> = {};
  for (const region of config.regions) {
    regions[region.region] = new VpnRegion(region.region, {
      config,
      region,
      stack: opts.stack,
      passwords: users.passwords,
      certificate: (parent, dependsOn) => opts.certificateFor(region, parent, dependsOn),
      linodeApi: opts.linodeApi,
      capabilities: opts.regionCapabilities[region.region] ?? [],
      imageCapabilities: opts.imageCapabilities,
    });
  }
  const summary = pulumi
    .all(
      Object.entries(regions).map(([key, r]) =>
        pulumi
          .all([r.hostname, r.ipv4, r.ipv6, r.ipv6Range, r.certificateNotAfter])
          .apply(([hostname, ipv4, ipv6, ipv6Range, certificateNotAfter]) => [key, { hostname, ipv4, ipv6, ipv6Range, certificateNotAfter }] as const),
      ),
    )
    .apply((entries) => Object.fromEntries(entries));
  // Profiles are rendered from the same pure code as `npm run render`; the Apple
  // profile is signed with each region's certificate (deterministic signature, so an
  // unchanged profile and certificate give identical bytes and no diff).
  const certificates = pulumi
    .all(
      Object.entries(regions).map(([key, r]) =>
        pulumi
          .all([r.certificate.certPem, r.certificate.chainPem, r.certificate.keyPem])
          .apply(([certPem, chainPem, keyPem]) => [key, { certPem, chainPem, keyPem }] as const),
      ),
    )
    .apply((entries) => Object.fromEntries(entries));
  const profiles = pulumi.secret(
    pulumi.all([users.passwords, certificates]).apply(([passwords, certs]) => renderProfiles({ stack: opts.stack, config, passwords, certificates: certs })),
  );
  const servers = pulumi.secret(
    pulumi
      .all(
        Object.entries(regions).map(([key, r]) =>
          pulumi
            .all([r.hostname, r.ipv4, r.sshPrivateKey, r.hostKey])
            .apply(([hostname, host, privateKey, hostKey]) => [key, { hostname, host, user: "root", privateKey, hostKey } satisfies ServerAccess] as const),
        ),
      )
      .apply((entries) => Object.fromEntries(entries)),
  );
  return { regions, summary, passwords: users.passwords, profiles, servers };
}
