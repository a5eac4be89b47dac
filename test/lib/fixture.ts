// The server's files, rendered by the project's own code (validateConfig ->
// renderRegion) from a fixture stack config, with this topology's addresses
// and the throwaway PKI's certificate.
import { validateConfig } from "../../config/validate";
import { renderRegion, RegionRender } from "../../model/render";
import type { Compat, UniqueIds, VpnConfig } from "../../model/types";
import type { TestPki } from "./pki";
import type { Topology } from "./netns";

export const HOSTNAME = "vpn.e2e.example.test";
export const ZONE = "e2e.example.test";
/** Pushed DNS servers: documentation addresses, never contacted. */
export const DNS_SERVERS = ["198.51.100.53", "2001:db8:53::53"] as const;
export const POOL_V4 = "10.47.83.0/24";

export interface FixtureUser {
  name: string;
  password: string;
  staticIpv4?: string;
  /** Lifecycle fields, as a stack file holds them (config/userLifecycle.ts). */
  expires?: string;
  maxDevices?: number;
  monthlyQuotaGB?: number;
  disabled?: boolean;
}

/** The RADIUS secret of every fixture server (a generated secret on real servers). */
export const RADIUS_SECRET = "e2e-radius-secret-0123456789";

export interface FixtureOptions {
  topology: Topology;
  pki: TestPki;
  users: FixtureUser[];
  compat?: Compat;
  uniqueIds?: UniqueIds;
  poolV4?: string;
  /** Further raw `vpn:` keys. */
  extra?: Record<string, unknown>;
}

/** The fixture's stack config, validated by the project's own validateConfig. */
export function fixtureConfig(opts: Omit<FixtureOptions, "topology" | "pki">): VpnConfig {
  const raw: Record<string, unknown> = {
    "vpn:zone": ZONE,
    "vpn:hostname": HOSTNAME,
    "vpn:users": opts.users.map(({ password: _, ...u }) => (Object.keys(u).length > 1 ? u : u.name)),
    "vpn:passwords": Object.fromEntries(opts.users.map((u) => [u.name, u.password])),
    "vpn:dnsServers": [...DNS_SERVERS],
    "vpn:poolV4": opts.poolV4 ?? POOL_V4,
    "vpn:compat": opts.compat ?? "modern",
    "vpn:uniqueIds": opts.uniqueIds ?? "never",
    ...opts.extra,
  };
  return validateConfig(raw);
}

export function renderFixture(opts: FixtureOptions): RegionRender {
  const config = fixtureConfig(opts);
  return renderRegion({
    config,
    region: config.regions[0],
    addresses: opts.topology.regionAddresses,
    passwords: config.passwords,
    certificate: opts.pki.certificate,
    radiusSecret: RADIUS_SECRET,
  });
}
