// domains and domains/{id}/records. The zones are fixed by the world's options;
// every record change is served by the DnsBackend before the API answers, so a
// reverse-DNS request that follows sees the forward record.
import type { Router } from "./http";
import { idParam, invalid, notFound, objectBody, paged } from "./http";
import type { DomainRec, RecordRec, World } from "./state";
import { linodeTime } from "./state";
import { isHostname, isIPv4, isIPv6 } from "./validate";

const TYPES = new Set(["A", "AAAA", "NS", "MX", "CNAME", "TXT", "SRV", "PTR", "CAA"]);
/** Linode rounds a record's ttl_sec up to one of these (API reference, Domain Records "ttl_sec"). */
const TTLS = [0, 30, 120, 300, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 345600, 604800, 1209600, 2419200];

/** Domain shape (linodego domains.go Domain). */
function domainBody(d: DomainRec) {
  return {
    id: d.id,
    domain: d.domain,
    type: "master",
    status: "active",
    soa_email: `hostmaster@${d.domain}`,
    description: "",
    group: "",
    tags: [],
    master_ips: [],
    axfr_ips: [],
    ttl_sec: 0,
    retry_sec: 0,
    expire_sec: 0,
    refresh_sec: 0,
    created: d.created,
    updated: d.updated,
  };
}

/** Record shape (linodego domain_records.go DomainRecord). */
function recordBody(r: RecordRec) {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    target: r.target,
    priority: r.priority,
    weight: r.weight,
    port: r.port,
    service: r.service,
    protocol: r.protocol,
    ttl_sec: r.ttl_sec,
    tag: r.tag,
    created: r.created,
    updated: r.updated,
  };
}

function getDomain(world: World, raw: string): DomainRec {
  const d = world.domains.find((x) => x.id === idParam(raw));
  if (!d) throw notFound();
  return d;
}

function getRecord(world: World, d: DomainRec, raw: string): RecordRec {
  const r = world.records.get(idParam(raw));
  if (!r || r.domainId !== d.id) throw notFound();
  return r;
}

function relative(name: unknown, zone: string): string {
  if (name === undefined || name === null) return "";
  if (typeof name !== "string" || name.length > 100) throw invalid("name", "Must be a string of at most 100 characters");
  let n = name.toLowerCase().replace(/\.$/, "");
  if (n === zone) n = "";
  else if (n.endsWith(`.${zone}`)) n = n.slice(0, -(zone.length + 1));
  if (n !== "" && !/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n)) throw invalid("name", "Must be a valid record name");
  return n;
}

function ttl(raw: unknown): number {
  if (raw === undefined || raw === null) return 0;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 0) throw invalid("ttl_sec", "Must be a non-negative integer");
  return TTLS.find((t) => t >= raw) ?? TTLS[TTLS.length - 1];
}

function checkTarget(type: string, target: unknown): string {
  if (typeof target !== "string" || target === "") throw invalid("target", "target is required");
  switch (type) {
    case "A":
      if (!isIPv4(target)) throw invalid("target", "Must be a valid IPv4 address");
      break;
    case "AAAA":
      if (!isIPv6(target)) throw invalid("target", "Must be a valid IPv6 address");
      break;
    case "CNAME":
    case "NS":
    case "MX":
    case "PTR":
      if (!isHostname(target)) throw invalid("target", "Must be a valid domain name");
      break;
    case "TXT":
      if (target.length > 65535) throw invalid("target", "Must be at most 65535 characters");
      break;
  }
  return target;
}

function optInt(raw: unknown, field: string, max: number): number {
  if (raw === undefined || raw === null) return 0;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 0 || raw > max) throw invalid(field, `Must be an integer 0-${max}`);
  return raw;
}

/** A CNAME owns its name: no other record may share it (RFC 1034 3.6.2; Linode refuses the conflict). */
function checkCname(world: World, rec: { domainId: number; name: string; type: string; id?: number }): void {
  for (const o of world.records.values()) {
    if (o.domainId !== rec.domainId || o.id === rec.id || o.name !== rec.name) continue;
    if (o.type === "CNAME" || rec.type === "CNAME") {
      throw invalid("name", `Record conflict - a CNAME record must be the only record for '${rec.name || "@"}'`);
    }
  }
}

async function createRecord(world: World, d: DomainRec, body: Record<string, unknown>) {
  const type = body.type;
  if (typeof type !== "string" || !TYPES.has(type)) throw invalid("type", "Must be one of A, AAAA, NS, MX, CNAME, TXT, SRV, PTR, CAA");
  const name = relative(body.name, d.domain);
  const target = checkTarget(type, body.target);
  const now = linodeTime();
  const rec: RecordRec = {
    id: world.take("record"),
    domainId: d.id,
    type,
    name,
    target,
    priority: optInt(body.priority, "priority", 255),
    weight: optInt(body.weight, "weight", 65535),
    port: optInt(body.port, "port", 65535),
    service: typeof body.service === "string" ? body.service : null,
    protocol: typeof body.protocol === "string" ? body.protocol : null,
    ttl_sec: ttl(body.ttl_sec),
    tag: typeof body.tag === "string" ? body.tag : null,
    created: now,
    updated: now,
  };
  checkCname(world, rec);
  world.records.set(rec.id, rec);
  world.event("dns_record_create", { id: d.id, label: d.domain, type: "domain", url: `/v4/domains/${d.id}` }, "finished");
  await world.applyZone(d.id);
  return recordBody(rec);
}

async function updateRecord(world: World, d: DomainRec, rec: RecordRec, body: Record<string, unknown>) {
  if (body.type !== undefined && body.type !== rec.type) throw invalid("type", "A record's type cannot be changed");
  const next = { ...rec };
  if (body.name !== undefined) next.name = relative(body.name, d.domain);
  if (body.target !== undefined) next.target = checkTarget(rec.type, body.target);
  if (body.ttl_sec !== undefined) next.ttl_sec = ttl(body.ttl_sec);
  if (body.priority !== undefined) next.priority = optInt(body.priority, "priority", 255);
  if (body.weight !== undefined) next.weight = optInt(body.weight, "weight", 65535);
  if (body.port !== undefined) next.port = optInt(body.port, "port", 65535);
  if (body.service !== undefined) next.service = typeof body.service === "string" ? body.service : null;
  if (body.protocol !== undefined) next.protocol = typeof body.protocol === "string" ? body.protocol : null;
  if (body.tag !== undefined) next.tag = typeof body.tag === "string" ? body.tag : null;
  checkCname(world, next);
  next.updated = linodeTime();
  Object.assign(rec, next);
  world.event("dns_record_update", { id: d.id, label: d.domain, type: "domain", url: `/v4/domains/${d.id}` }, "finished");
  await world.applyZone(d.id);
  return recordBody(rec);
}

export function registerDomains(router: Router, world: World): void {
  router
    .on("GET domains", (req) => paged(req, world.domains.map(domainBody)))
    .on("GET domains/:id", (_req, [id]) => domainBody(getDomain(world, id)))
    .on("GET domains/:id/records", (req, [id]) => {
      const d = getDomain(world, id);
      return paged(req, [...world.records.values()].filter((r) => r.domainId === d.id).map(recordBody));
    })
    .on("POST domains/:id/records", (req, [id]) => createRecord(world, getDomain(world, id), objectBody(req)))
    .on("GET domains/:id/records/:rid", (_req, [id, rid]) => {
      const d = getDomain(world, id);
      return recordBody(getRecord(world, d, rid));
    })
    .on("PUT domains/:id/records/:rid", (req, [id, rid]) => {
      const d = getDomain(world, id);
      return updateRecord(world, d, getRecord(world, d, rid), objectBody(req));
    })
    .on("DELETE domains/:id/records/:rid", async (_req, [id, rid]) => {
      const d = getDomain(world, id);
      const rec = getRecord(world, d, rid);
      world.records.delete(rec.id);
      world.event("dns_record_delete", { id: d.id, label: d.domain, type: "domain", url: `/v4/domains/${d.id}` }, "finished");
      await world.applyZone(d.id);
      return {};
    });
}
