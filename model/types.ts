// The validated configuration: what config/validate.ts produces and every render
// function consumes. Plain data, no Pulumi types.

export type Compat = "modern" | "legacy";
export type UniqueIds = "never" | "no" | "keep" | "replace";
export type OnDemand = "off" | "always" | "untrusted-wifi";
export type Image = "linode/debian12" | "linode/ubuntu24.04";

export interface UserSpec {
  name: string;
  /** Fixed client IPv4 address inside the pool. */
  staticIpv4?: string;
  /** UTC instant "YYYY-MM-DDTHH:MM:SSZ" at which the user's sessions end and logins are refused. */
  expires?: string;
  /** Simultaneous sessions (devices) allowed; overrides vpn:maxDevicesPerUser. */
  maxDevices?: number;
  /** Bytes in + out per calendar month (UTC), in GB (10^9 bytes). */
  monthlyQuotaGB?: number;
  /** Suspended: no login, password and usage history kept. */
  disabled?: boolean;
}

export interface RegionSpec {
  /** Linode region id, e.g. us-ord. Also the key of this region everywhere (outputs, render tree). */
  region: string;
  hostname: string;
}

export interface Rfc2136Settings {
  server: string;
  port: number;
  keyName: string;
  algorithm: "hmac-sha256" | "hmac-sha384" | "hmac-sha512";
}

export interface VpnConfig {
  zone: string;
  regions: RegionSpec[];
  instanceType: string;
  image: Image;
  users: UserSpec[];
  /** User-supplied passwords (secret). Users missing here get a generated one. */
  passwords: Record<string, string>;
  /** user -> times its generated password was replaced (npm run users -- rotate); absent: none. */
  rotations?: Record<string, number>;
  /** Default device limit for every user; absent: unlimited. */
  maxDevicesPerUser?: number;
  /** Run the local RADIUS server (usage accounting) even when no user has a limit. */
  accounting?: boolean;
  /** Serve one-time profile links over HTTPS (TCP 443, nginx). Absent counts as on; false installs nothing and closes 443. */
  shareLinks?: boolean;
  sshAllowedCidrs: string[];
  dnsServers: string[];
  poolV4: string;
  compat: Compat;
  uniqueIds: UniqueIds;
  acme: {
    email?: string;
    /** Resolved directory URL. */
    directoryUrl: string;
    profile?: string;
    /** Resolvers ("ip", "ip:port", "[ip6]:port") for the DNS-01 propagation wait; empty: the system's. */
    dnsResolvers?: string[];
    renewBeforeDays?: number;
    revokeOnDestroy: boolean;
    dnsProvider: "linode" | "rfc2136";
    rfc2136?: Rfc2136Settings;
    /** Base64 TSIG secret (secret). */
    rfc2136Secret?: string;
  };
  onDemand: OnDemand;
  trustedSsids: string[];
  /** Apple kill switch (IncludeAllNetworks and its companions); default false. */
  appleKillSwitch: boolean;
  /** Forward traffic between clients (default false: clients only reach the Internet). */
  clientToClient: boolean;
  /** Daily UTC start of the maintenance window, "HH:MM": updates install, a required reboot happens. */
  maintenanceWindow: string;
}

/** Values known only after deployment; render uses documentation addresses without them. */
export interface RegionAddresses {
  ipv4: string;
  ipv6: string;
  /** The routed /64, as `prefix::/64`. */
  ipv6Range: string;
}

export interface CertificateMaterial {
  /** Leaf certificate, PEM. */
  certPem: string;
  /** Intermediates, PEM (may hold several). */
  chainPem: string;
  /** Private key, PEM (secret). */
  keyPem: string;
}
