// The config contract: every `vpn:` key the program reads. Pulumi.yaml's `config:`
// block and the generated docs/configuration.md are checked against this list in tests,
// so the three cannot drift apart.

/**
 * `list` = an array of strings. `structured` = lists of objects, maps: Pulumi.yaml
 * cannot type those (project config knows string, integer, boolean and arrays of
 * them), so they are declared untyped and validated here.
 */
export type KeyType = "string" | "integer" | "boolean" | "list" | "structured";

export interface ConfigKey {
  /** Full key as written in a stack file, e.g. `vpn:hostname`. */
  key: string;
  type: KeyType;
  description: string;
  /**
   * Default as a stack file would hold it. Keys without one are required by the
   * Pulumi CLI, so every optional key has one ("" / 0 / {} / [] meaning "not set").
   */
  default?: unknown;
  required?: boolean;
  secret?: boolean;
}

export const DEFAULT_POOL_V4 = "10.47.83.0/24";
export const DEFAULT_MAINTENANCE_WINDOW = "04:00";
/** Empty: clients get the server's own validating resolver (unbound) as their DNS. */
export const DEFAULT_DNS_SERVERS: string[] = [];

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: "vpn:hostname",
    type: "string",
    default: "",
    description: "FQDN users type to connect; must lie inside vpn:zone. Required unless vpn:regions is set.",
  },
  { key: "vpn:zone", type: "string", required: true, description: "Linode DNS zone (domain) that holds the VPN hostnames and the ACME challenge records." },
  { key: "vpn:region", type: "string", default: "us-ord", description: "Linode region of the single VPN server (when vpn:regions is not set)." },
  {
    key: "vpn:regions",
    type: "structured",
    default: [],
    description: "Several regions in one stack: a list of { region, hostname }. Replaces vpn:region + vpn:hostname.",
  },
  { key: "vpn:instanceType", type: "string", default: "g6-nanode-1", description: "Linode plan of each VPN server." },
  { key: "vpn:image", type: "string", default: "linode/debian12", description: "Server image: linode/debian12 or linode/ubuntu24.04." },
  {
    key: "vpn:users",
    type: "structured",
    required: true,
    description:
      "VPN users: a list of names, or objects { name, staticIpv4, expires, maxDevices, monthlyQuotaGB, disabled }. expires: ISO 8601 date or date-time (UTC unless a zone is given); maxDevices: simultaneous devices (>= 1); monthlyQuotaGB: GB (10^9 bytes) in + out per UTC month; disabled: true suspends the user, keeping password and usage.",
  },
  {
    key: "vpn:passwords",
    type: "structured",
    default: {},
    secret: true,
    description: "Map user name -> password. Users without an entry get a generated 28-character password (a secret in state).",
  },
  {
    key: "vpn:rotations",
    type: "structured",
    default: {},
    description:
      "Map user name -> how many times the generated password was rotated. Written by `npm run users -- rotate`; each increase replaces that user's generated password.",
  },
  {
    key: "vpn:maxDevicesPerUser",
    type: "integer",
    default: 0,
    description: "Simultaneous devices per user unless the user sets maxDevices. 0 (default): unlimited.",
  },
  {
    key: "vpn:accounting",
    type: "boolean",
    default: false,
    description:
      "Per-user usage (bytes, connected time) kept on the server even when no user has an expiry, device limit or quota (those turn it on by themselves).",
  },
  {
    key: "vpn:shareLinks",
    type: "boolean",
    default: true,
    description:
      "Serve one-time profile links (npm run share) from the VPN server over HTTPS on TCP 443 (nginx with the stack's certificate). false installs nothing for it and closes 443 in the Cloud Firewall and on the host.",
  },
  {
    key: "vpn:sshAllowedCidrs",
    type: "list",
    default: ["0.0.0.0/0", "::/0"],
    description: "CIDRs allowed to reach SSH (TCP 22) through the Cloud Firewall. SSH is key-only.",
  },
  {
    key: "vpn:dnsServers",
    type: "list",
    default: DEFAULT_DNS_SERVERS,
    description:
      "DNS servers pushed to clients (IPv4 and IPv6). Empty (default): the server's own DNSSEC-validating resolver, at its first address in each client pool.",
  },
  {
    key: "vpn:poolV4",
    type: "string",
    default: DEFAULT_POOL_V4,
    description: "Client IPv4 pool (private CIDR, /16 to /28). IPv6 client addresses always come from the routed /64.",
  },
  {
    key: "vpn:compat",
    type: "string",
    default: "modern",
    description: "modern: secure proposals only. legacy: also accept stock Windows (modp1024, SHA1, 3DES).",
  },
  {
    key: "vpn:uniqueIds",
    type: "string",
    default: "never",
    description: "strongSwan `unique` policy: never (one user, several devices), no, keep or replace.",
  },
  { key: "vpn:acmeEmail", type: "string", default: "", description: "Contact e-mail for the ACME (Let's Encrypt) account. Optional." },
  { key: "vpn:acmeServer", type: "string", default: "production", description: "ACME directory: production, staging, or an https:// directory URL." },
  { key: "vpn:acmeProfile", type: "string", default: "", description: "ACME certificate profile to request (e.g. classic, tlsserver). Optional." },
  {
    key: "vpn:acmeDnsResolvers",
    type: "list",
    default: [],
    description:
      "Resolvers (ip or ip:port) that find the zone's name servers while waiting for the ACME TXT record to appear on each; default: this machine's. For split-horizon DNS and the sandbox.",
  },
  {
    key: "vpn:renewBeforeDays",
    type: "integer",
    default: 0,
    description: "Renew the certificate this many days before it expires. 0 (default): the last third of its lifetime, at least 10 days.",
  },
  { key: "vpn:revokeOnDestroy", type: "boolean", default: false, description: "Revoke the certificate when the stack is destroyed." },
  {
    key: "vpn:dnsProvider",
    type: "string",
    default: "linode",
    description: "DNS-01 solver: linode (the stack's Linode token) or rfc2136 (TSIG dynamic update).",
  },
  {
    key: "vpn:rfc2136",
    type: "structured",
    default: {},
    description: "RFC 2136 solver settings: { server: host[:port], keyName, algorithm } (algorithm hmac-sha256 by default).",
  },
  { key: "vpn:rfc2136Secret", type: "string", default: "", secret: true, description: "Base64 TSIG secret for the rfc2136 solver." },
  { key: "vpn:onDemand", type: "string", default: "off", description: "Apple On-Demand preset: off, always, or untrusted-wifi (with vpn:trustedSsids)." },
  { key: "vpn:trustedSsids", type: "list", default: [], description: "Wi-Fi SSIDs on which the untrusted-wifi On-Demand preset stays disconnected." },
  {
    key: "vpn:appleKillSwitch",
    type: "boolean",
    default: false,
    description: "Apple kill switch: route all traffic through the tunnel and block it while the tunnel is down (IncludeAllNetworks). Off by default.",
  },
  {
    key: "vpn:clientToClient",
    type: "boolean",
    default: false,
    description: "Let VPN clients reach each other through the server (IPv4 and IPv6). Off by default: clients only reach the Internet.",
  },
  {
    key: "vpn:maintenanceWindow",
    type: "string",
    default: DEFAULT_MAINTENANCE_WINDOW,
    description: "Daily UTC time (HH:MM) at which security updates install and, when one needs it, the server reboots.",
  },
];

export const KNOWN_KEYS: ReadonlySet<string> = new Set(CONFIG_KEYS.map((k) => k.key));
