// Refuses a VPN hostname that already has A/AAAA records in the zone which this stack
// did not make: two servers under one name get half the clients each.
//
// A dynamic resource whose `check` asks the Linode API (GET only) while the resource
// does not exist yet, i.e. in the first preview/up of the region, before the records
// (which depend on it) are created, and again when the hostname changes. Otherwise
// `check` asks nothing, so later runs, where the zone holds this stack's own
// records, never trip over them.
// Records that point at an address of a Linode carrying one of this stack's labels
// for the region count as its own (a stack created before this check existed, or one
// whose VM this run replaces). The VM, the firewall, the /64 and the certificate order
// all wait for the guard, so a refused hostname leaves nothing in Linode or at the CA.
//
// Serialized into the state by Pulumi: no imports at the top, the token is an input
// (secret), and dynamic providers receive unknown preview values as UNKNOWN.
import * as pulumi from "@pulumi/pulumi";

export interface HostnameGuardInputs {
  hostname: string;
  zone: string;
  /** The record name relative to the zone ("" at the apex). */
  recordName: string;
  domainId: number;
  /** Linode API base including /v4; default https://api.linode.com/v4. */
  apiUrl?: string;
  /** Linode API token (secret, never copied to outputs). */
  token: string;
  /**
   * Labels this stack's Linode for the region has or had (the current scheme and the
   * one before it, see naming.ts). A record pointing at an address of such a Linode is
   * this stack's own: a stack created before this check existed, or one whose VM is
   * being replaced in this very run, is not refused over its own records.
   */
  ownLabels: string[];
}

export interface FoundRecord {
  id: number;
  type: string;
  name: string;
  target: string;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every A/AAAA record named `recordName` in the domain, following Linode's pagination. */
async function findAddressRecords(
  inputs: Pick<HostnameGuardInputs, "apiUrl" | "token" | "domainId" | "recordName">,
  timeoutMs = 30_000,
): Promise<FoundRecord[]> {
  const base = (inputs.apiUrl ?? "https://api.linode.com/v4").replace(/\/+$/, "");
  const wanted = inputs.recordName.toLowerCase();
  const found: FoundRecord[] = [];
  // Linode API v4 "Domain Records List": paginated (page, page_size <= 500), filterable with X-Filter.
  for (let page = 1, pages = 1; page <= pages && page <= 100; page++) {
    const path = `/domains/${inputs.domainId}/records?page=${page}&page_size=500`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        headers: { Authorization: `Bearer ${inputs.token}`, "X-Filter": JSON.stringify({ name: inputs.recordName }) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new Error(
        `GET ${base}${path} failed: ${e.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message)}`,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      const hint = res.status === 401 ? " (check linode:token)" : res.status === 403 ? " (the token needs Domains read access)" : "";
      throw new Error(`GET ${base}${path}: HTTP ${res.status} ${text.slice(0, 200)}${hint}`);
    }
    const body = JSON.parse(text) as { data?: FoundRecord[]; pages?: number };
    pages = typeof body.pages === "number" ? body.pages : 1;
    // The filter is a hint only: match name and type here as well.
    for (const r of body.data ?? [])
      if ((r.type === "A" || r.type === "AAAA") && String(r.name).toLowerCase() === wanted)
        found.push({ id: r.id, type: r.type, name: r.name, target: r.target });
  }
  return found;
}

/** Every address (IPv4 and the SLAAC IPv6) of the account's Linodes with one of `labels`. */
async function addressesOfLinodes(inputs: Pick<HostnameGuardInputs, "apiUrl" | "token" | "ownLabels">, timeoutMs = 30_000): Promise<string[]> {
  const base = (inputs.apiUrl ?? "https://api.linode.com/v4").replace(/\/+$/, "");
  const labels = [...new Set(inputs.ownLabels.filter((l) => typeof l === "string" && l !== UNKNOWN))];
  if (labels.length === 0) return [];
  // Linode API v4 "Linodes List", X-Filter on label (exact match); labels are unique per account.
  const path = "/linode/instances?page=1&page_size=500";
  const res = await fetch(`${base}${path}`, {
    headers: { Authorization: `Bearer ${inputs.token}`, "X-Filter": JSON.stringify({ "+or": labels.map((label) => ({ label })) }) },
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((err: Error & { cause?: { code?: string } }) => {
    throw new Error(`GET ${base}${path} failed: ${err.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.message)}`);
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`GET ${base}${path}: HTTP ${res.status} ${text.slice(0, 200)}${res.status === 403 ? " (the token needs Linodes read access)" : ""}`);
  const body = JSON.parse(text) as { data?: { label?: string; ipv4?: string[]; ipv6?: string | null }[] };
  // The filter is a hint only: match the label here as well.
  return (body.data ?? []).filter((l) => labels.includes(String(l.label))).flatMap((l) => [...(l.ipv4 ?? []), ...(l.ipv6 ? [l.ipv6] : [])]);
}

/** Normalizes an address for comparison (IPv6 in any spelling, without /128). */
function addressKey(a: string): string {
  const net = require("node:net") as typeof import("node:net");
  const bare = a.split("/")[0].trim().toLowerCase();
  if (!net.isIPv6(bare)) return bare;
  const sl = new net.SocketAddress({ address: bare, family: "ipv6" });
  return sl.address;
}

/** The failure for records not made by this stack, or undefined. Pure. */
function foreignRecordsFailure(inputs: Pick<HostnameGuardInputs, "hostname" | "zone">, records: FoundRecord[], ownAddresses: string[]): string | undefined {
  const own = ownAddresses.filter((a) => typeof a === "string" && a !== UNKNOWN).map(addressKey);
  const foreign = records.filter((r) => !own.includes(addressKey(r.target)));
  if (foreign.length === 0) return undefined;
  const list = foreign.map((r) => `${r.type} ${inputs.hostname} -> ${r.target} (Linode record ${r.id})`).join(", ");
  return (
    `${inputs.hostname} already has ${list} in the Linode domain ${inputs.zone}, not made by this stack. ` +
    `With a second server under the same name, clients would reach the wrong one half of the time. ` +
    `Delete ${foreign.length > 1 ? "those records" : "that record"} in Linode DNS, or choose another hostname (vpn:hostname / vpn:regions), and run again. Nothing was created in Linode or at the CA.`
  );
}

export const hostnameGuardProvider = {
  async check(olds: Partial<HostnameGuardInputs>, news: HostnameGuardInputs) {
    const checkedBefore =
      olds && Object.keys(olds).length > 0 && olds.hostname === news.hostname && olds.recordName === news.recordName && olds.domainId === news.domainId;
    const known = [news.domainId, news.token, news.recordName, news.apiUrl].every((v) => v !== UNKNOWN);
    if (checkedBefore || !known) return { inputs: news, failures: [] };
    let records: FoundRecord[];
    let own: string[] = [];
    try {
      records = await findAddressRecords(news);
      if (records.length > 0) own = await addressesOfLinodes(news);
    } catch (err) {
      return {
        inputs: news,
        failures: [{ property: "hostname", reason: `cannot check the existing DNS records of ${news.hostname}: ${(err as Error).message}` }],
      };
    }
    const reason = foreignRecordsFailure(news, records, own);
    return { inputs: news, failures: reason ? [{ property: "hostname", reason }] : [] };
  },
  async diff(_id: string, olds: { hostname?: string; zone?: string; recordName?: string }, news: HostnameGuardInputs) {
    // Only a new name matters (check looked at it); new addresses or a rotated token change nothing.
    return { changes: olds.hostname !== news.hostname || olds.zone !== news.zone || olds.recordName !== news.recordName };
  },
  async create(inputs: HostnameGuardInputs) {
    return { id: `${inputs.domainId}/${inputs.recordName || "@"}`, outs: { hostname: inputs.hostname, zone: inputs.zone, recordName: inputs.recordName } };
  },
  async update(_id: string, _olds: unknown, news: HostnameGuardInputs) {
    return { outs: { hostname: news.hostname, zone: news.zone, recordName: news.recordName } };
  },
  async delete() {
    // Nothing exists outside the state.
  },
};

export type HostnameGuardArgs = { [K in Exclude<keyof HostnameGuardInputs, "apiUrl">]: pulumi.Input<HostnameGuardInputs[K]> } & {
  apiUrl?: pulumi.Input<string>;
};

/** Registers the guard; the region's A/AAAA records depend on it. */
export class HostnameGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: HostnameGuardArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(hostnameGuardProvider, name, { ...args, token: pulumi.secret(args.token) }, opts);
  }
}
