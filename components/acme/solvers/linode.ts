// DNS-01 through the Linode DNS API v4: find the domain, create the
// _acme-challenge TXT record, and later delete exactly the record created (by id).
import type { DnsSolver, LinodeDnsSettings, Logger, PresentedRecord } from "../types";

const LINODE_API_URL = "https://api.linode.com/v4";
/** Linode rounds TTLs to its allowed values; 300 is the smallest that is honoured everywhere. */
const TXT_TTL = 300;

/** Record name relative to the zone, as Linode wants it: `_acme-challenge.vpn` for vpn.example.com. */
export function relativeName(fqdn: string, zone: string): string {
  const name = fqdn.replace(/\.$/, "").toLowerCase();
  const z = zone.replace(/\.$/, "").toLowerCase();
  if (name === z) return "";
  if (!name.endsWith(`.${z}`)) throw new Error(`DNS provider linode: ${fqdn} is not inside the zone ${zone}`);
  return name.slice(0, -(z.length + 1));
}

function explain(status: number, body: string): string {
  let reasons: string;
  try {
    const parsed = JSON.parse(body) as { errors?: { reason?: string; field?: string }[] };
    reasons = (parsed.errors ?? [])
      .map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason))
      .filter(Boolean)
      .join("; ");
  } catch {
    reasons = body.slice(0, 200);
  }
  const hint =
    status === 401
      ? " (the API token was rejected: check linode:token)"
      : status === 403
        ? " (the token lacks the Domains read/write scope)"
        : status === 429
          ? " (Linode API rate limit; retry later)"
          : "";
  return `HTTP ${status}${reasons ? ` ${reasons}` : ""}${hint}`;
}

export function linodeSolver(settings: LinodeDnsSettings, token: string, log: Logger, timeoutMs: number): DnsSolver {
  const base = (settings.apiUrl ?? LINODE_API_URL).replace(/\/+$/, "");
  const name = `linode (${base})`;
  const fail = (what: string) => new Error(`DNS provider ${name}: ${what}`);

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: NodeJS.ErrnoException };
      const why = e.name === "TimeoutError" ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw fail(`${method} ${path} failed: ${why}`);
    }
    const text = await res.text();
    if (!res.ok) throw fail(`${method} ${path}: ${explain(res.status, text)}`);
    return text ? JSON.parse(text) : {};
  }

  async function domainId(): Promise<number> {
    const zone = settings.zone.replace(/\.$/, "").toLowerCase();
    const res = (await call("GET", "/domains", undefined, { "X-Filter": JSON.stringify({ domain: zone }) })) as { data?: { id: number; domain: string }[] };
    const match = (res.data ?? []).find((d) => d.domain.toLowerCase() === zone);
    if (!match) throw fail(`the account has no domain ${zone}; create the zone in Linode DNS (or check vpn:zone)`);
    return match.id;
  }

  return {
    name,
    async present(fqdn: string, value: string): Promise<PresentedRecord> {
      const id = await domainId();
      const recordName = relativeName(fqdn, settings.zone);
      const rec = (await call("POST", `/domains/${id}/records`, { type: "TXT", name: recordName, target: value, ttl_sec: TXT_TTL })) as { id?: number };
      if (typeof rec.id !== "number") throw fail("the API did not return the new record's id");
      log(`linode: created TXT ${fqdn} (domain ${id}, record ${rec.id})`);
      return { fqdn, value, handle: { domainId: id, recordId: rec.id } };
    },
    async cleanup(record: PresentedRecord): Promise<void> {
      const h = record.handle as { domainId: number; recordId: number };
      await call("DELETE", `/domains/${h.domainId}/records/${h.recordId}`);
      log(`linode: deleted TXT ${record.fqdn} (record ${h.recordId})`);
    },
  };
}
