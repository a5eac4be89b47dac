// The seam between the Linode API server (pure HTTP + state, this folder) and the
// runtime that makes its objects real (machines, nftables, BIND: ../*.ts).
// Agreed in /work/coord/INTERFACES.md; keep it backward compatible.
//
// Call discipline (what the runtime can rely on):
// - Calls are serialized per lane: all FirewallBackend.apply calls form one lane,
//   DnsBackend.apply calls one lane per zone, and MachineBackend calls one lane per
//   instance (create, then routeRange/unrouteRange, then destroy, in request order).
//   Lanes run independently, so one booting machine does not hold up DNS.
// - routeRange for an instance is only issued after its create resolved.
// - FirewallBackend.apply may list a device whose machine is still booting (the
//   firewall is attached at API time, as on Linode); enforce by address.
// - apply() always receives the whole desired set: idempotent, latest state wins.

/** One rule as the Linode API v4 has it (linodego firewall_rules.go FirewallRule). */
export interface LinodeFirewallRule {
  action: "ACCEPT" | "DROP";
  protocol: "TCP" | "UDP" | "ICMP" | "IPENCAP";
  /** "22", "500,4500", "1000-2000"; absent for ICMP/IPENCAP or all ports. */
  ports?: string;
  addresses: { ipv4?: string[]; ipv6?: string[] };
  label: string;
  description?: string;
}

export interface InstanceSpec {
  id: number;
  label: string;
  region: string;
  image: string;
  type: string;
  /** public IPv4 */
  ipv4: string;
  /** SLAAC address, no prefix */
  ipv6Slaac: string;
  authorizedKeys: string[];
  /** decoded user data (cloud-config text) */
  userData?: string;
}

export interface MachineBackend {
  /** Boot a real machine; resolve once it is up enough that the API may report "running" (sshd listening). */
  create(spec: InstanceSpec): Promise<void>;
  destroy(id: number): Promise<void>;
  /** Route `range` (e.g. "2001:db8:...::/64") to the instance (next hop = its SLAAC address). */
  routeRange(id: number, range: string): Promise<void>;
  unrouteRange(range: string): Promise<void>;
}

export interface FirewallState {
  id: number;
  label: string;
  status: "enabled" | "disabled";
  inbound_policy: "ACCEPT" | "DROP";
  outbound_policy: "ACCEPT" | "DROP";
  inbound: LinodeFirewallRule[];
  outbound: LinodeFirewallRule[];
  /** `range` is the instance's routed range with its prefix ("2001:db8:7711::/64") when it has one. */
  devices: { linodeId: number; ipv4: string; ipv6Slaac: string; range?: string }[];
}

export interface FirewallBackend {
  /** Enforce exactly these firewalls (the whole set, idempotent). */
  apply(all: FirewallState[]): Promise<void>;
}

export interface DnsRecordSpec {
  /** relative, "" = apex */
  name: string;
  type: string;
  target: string;
  ttl_sec: number;
}

export interface DnsBackend {
  /** Serve exactly these records for the zone (whole zone, idempotent): A, AAAA, TXT, CNAME... */
  apply(zone: string, records: DnsRecordSpec[]): Promise<void>;
  /** Forward lookup used for the rDNS rule: addresses `fqdn` resolves to (A+AAAA). */
  resolve(fqdn: string): Promise<string[]>;
}

/** Instance i (1-based, in creation order) gets these addresses. */
export interface AddressPlan {
  ipv4(i: number): string;
  ipv6Slaac(i: number): string;
  /** The routed /64 of instance i; with or without the "/64" suffix (both accepted). */
  range64(i: number): string;
}

export interface WorldApiOptions {
  token: string;
  /** Zones that exist as Linode Domains (no trailing dot). */
  zones: string[];
  regions: { id: string; capabilities: string[] }[];
  machines: MachineBackend;
  firewalls: FirewallBackend;
  dns: DnsBackend;
  addresses: AddressPlan;
  /** Default 127.0.0.1 and a free port. */
  listen?: { host: string; port: number };
}

/** One HTTP request as seen by the server; bodies have secrets replaced by "[redacted]". */
export interface RecordedRequest {
  /** ms since the epoch */
  at: number;
  method: string;
  /** Path without the query, e.g. "/v4/linode/instances/12". */
  path: string;
  query: Record<string, string>;
  /** The X-Filter header, verbatim, when sent. */
  filter?: string;
  status: number;
  /** Parsed JSON body (redacted), when the request had one. */
  body?: unknown;
}

export interface LinodeApiHandle {
  /** base without /v4 (what LINODE_URL wants) */
  url: string;
  requests: RecordedRequest[];
  /** A JSON-able snapshot of the world's API state (instances, firewalls, ranges, records, rdns, events, backend errors). */
  state(): unknown;
  /** Resolves when every queued backend call has settled (for tests and orderly shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Start the server (implemented in ./server.ts; re-exported here so the runtime needs one import). */
export { startLinodeApi } from "./server";
