// networking/firewalls: Cloud Firewalls with rules and Linode devices.
// Every change is enforced (FirewallBackend.apply) before the API answers.
import { isIP } from "node:net";
import type { LinodeFirewallRule } from "./backends";
import type { Router } from "./http";
import { idParam, invalid, notFound, objectBody, paged } from "./http";
import type { FirewallRec, FirewallRules, World } from "./state";
import { linodeTime } from "./state";
import { checkFirewallLabel, checkTags } from "./validate";

const PROTOCOLS = new Set(["TCP", "UDP", "ICMP", "IPENCAP"]);
const POLICIES = new Set(["ACCEPT", "DROP"]);

function checkPorts(ports: unknown, field: string): string {
  if (typeof ports !== "string") throw invalid(field, "Must be a string");
  const parts = ports.split(",").map((p) => p.trim());
  if (parts.length > 15) throw invalid(field, "At most 15 ports or port ranges");
  for (const p of parts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m && m[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 1 || hi > 65535 || lo > hi) throw invalid(field, `Invalid port or port range ${JSON.stringify(p)}`);
  }
  return parts.join(",");
}

function checkCidrs(list: unknown, family: 4 | 6, field: string): string[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalid(field, "Must be a list of addresses");
  return list.map((c, i) => {
    const [addr, len, extra] = typeof c === "string" ? c.split("/") : [];
    const max = family === 4 ? 32 : 128;
    const okLen = len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= max);
    if (typeof c !== "string" || extra !== undefined || isIP(addr ?? "") !== family || !okLen) {
      throw invalid(`${field}[${i}]`, `Must be an IPv${family} address or network`);
    }
    return c;
  });
}

/** One rule (Linode API "Firewall rules"; the provider's rule labels are 3-32 characters as well). */
function checkRule(raw: unknown, field: string): LinodeFirewallRule {
  if (raw === null || typeof raw !== "object") throw invalid(field, "Must be an object");
  const r = raw as Record<string, unknown>;
  if (typeof r.action !== "string" || !POLICIES.has(r.action)) throw invalid(`${field}.action`, "Must be ACCEPT or DROP");
  if (typeof r.protocol !== "string" || !PROTOCOLS.has(r.protocol)) throw invalid(`${field}.protocol`, "Must be TCP, UDP, ICMP or IPENCAP");
  const hasPorts = r.ports !== undefined && r.ports !== null && r.ports !== "";
  if (hasPorts && (r.protocol === "ICMP" || r.protocol === "IPENCAP")) throw invalid(`${field}.ports`, `Ports are not allowed for ${r.protocol}`);
  const label = checkFirewallLabel(r.label, `${field}.label`);
  const a = (r.addresses ?? {}) as Record<string, unknown>;
  const ipv4 = checkCidrs(a.ipv4, 4, `${field}.addresses.ipv4`);
  const ipv6 = checkCidrs(a.ipv6, 6, `${field}.addresses.ipv6`);
  if (!ipv4?.length && !ipv6?.length) throw invalid(`${field}.addresses`, "At least one IPv4 or IPv6 address is required");
  if (r.description !== undefined && r.description !== null && (typeof r.description !== "string" || r.description.length > 100)) {
    throw invalid(`${field}.description`, "Must be a string of at most 100 characters");
  }
  return {
    action: r.action as LinodeFirewallRule["action"],
    protocol: r.protocol as LinodeFirewallRule["protocol"],
    ...(hasPorts ? { ports: checkPorts(r.ports, `${field}.ports`) } : {}),
    addresses: { ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}) },
    label,
    ...(typeof r.description === "string" && r.description !== "" ? { description: r.description } : {}),
  };
}

function checkRules(raw: unknown, prev?: FirewallRules): FirewallRules {
  if (raw === null || typeof raw !== "object") throw invalid("rules", "rules is required");
  const r = raw as Record<string, unknown>;
  const inboundPolicy = r.inbound_policy ?? prev?.inbound_policy;
  const outboundPolicy = r.outbound_policy ?? prev?.outbound_policy;
  if (typeof inboundPolicy !== "string" || !POLICIES.has(inboundPolicy)) throw invalid("rules.inbound_policy", "Must be ACCEPT or DROP");
  if (typeof outboundPolicy !== "string" || !POLICIES.has(outboundPolicy)) throw invalid("rules.outbound_policy", "Must be ACCEPT or DROP");
  const list = (v: unknown, name: string) => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw invalid(`rules.${name}`, "Must be a list");
    if (v.length > 25) throw invalid(`rules.${name}`, "At most 25 rules");
    return v.map((x, i) => checkRule(x, `rules.${name}[${i}]`));
  };
  return {
    inbound: list(r.inbound, "inbound"),
    outbound: list(r.outbound, "outbound"),
    inbound_policy: inboundPolicy as FirewallRules["inbound_policy"],
    outbound_policy: outboundPolicy as FirewallRules["outbound_policy"],
    version: (prev?.version ?? 0) + 1,
  };
}

function rulesBody(f: FirewallRec) {
  const r = f.rules;
  // Rules come back as they were given: no ports/description/address family that was not
  // set (the provider turns "" ports into null and reads ipv4/ipv6 lists as-is:
  // linode/firewall/framework_models.go FlattenFirewallRules).
  const rule = (x: LinodeFirewallRule) => structuredClone(x);
  return {
    inbound: r.inbound.map(rule),
    outbound: r.outbound.map(rule),
    inbound_policy: r.inbound_policy,
    outbound_policy: r.outbound_policy,
    version: r.version,
    fingerprint: r.version.toString(16).padStart(8, "0"),
  };
}

function entityOf(world: World, linodeId: number) {
  const inst = world.instances.get(linodeId);
  return { id: linodeId, type: "linode", label: inst?.label ?? null, url: `/v4/linode/instances/${linodeId}`, parent_entity: null };
}

function deviceBody(world: World, d: FirewallRec["devices"][number]) {
  return { id: d.id, created: d.created, updated: d.updated, entity: entityOf(world, d.linodeId) };
}

export function firewallBody(world: World, f: FirewallRec) {
  return {
    id: f.id,
    label: f.label,
    status: f.status,
    tags: [...f.tags],
    rules: rulesBody(f),
    created: f.created,
    updated: f.updated,
    entities: f.devices.map((d) => entityOf(world, d.linodeId)),
  };
}

function getFirewall(world: World, raw: string): FirewallRec {
  const f = world.firewalls.get(idParam(raw));
  if (!f) throw notFound();
  return f;
}

function uniqueLabel(world: World, label: string, self?: number): void {
  for (const f of world.firewalls.values()) {
    if (f.id !== self && f.label === label) throw invalid("label", "Label must be unique among your Firewalls");
  }
}

/** A Linode belongs to at most one Cloud Firewall; attaching it to a second one is refused. */
function checkAttachable(world: World, linodeId: unknown, field: string, self?: number): number {
  if (typeof linodeId !== "number" || !world.instances.has(linodeId)) throw invalid(field, "Linode not found");
  const other = world.firewallOf(linodeId);
  if (other && other.id !== self) {
    throw invalid(field, `Linode ${linodeId} is already assigned to Firewall ${other.id} (${other.label}); a Linode can be assigned to only one Firewall`);
  }
  if (other && other.id === self) throw invalid(field, `Linode ${linodeId} is already a device of this Firewall`);
  return linodeId;
}

async function create(world: World, body: Record<string, unknown>) {
  const label = checkFirewallLabel(body.label);
  uniqueLabel(world, label);
  const rules = checkRules(body.rules);
  const tags = checkTags(body.tags);
  const devices = (body.devices ?? {}) as Record<string, unknown>;
  if (Array.isArray(devices.nodebalancers) && devices.nodebalancers.length > 0) {
    throw invalid("devices.nodebalancers", "NodeBalancers are not supported by the local Linode world");
  }
  const linodes = devices.linodes === undefined || devices.linodes === null ? [] : devices.linodes;
  if (!Array.isArray(linodes)) throw invalid("devices.linodes", "Must be a list of Linode ids");
  const ids = linodes.map((id, i) => checkAttachable(world, id, `devices.linodes[${i}]`));
  if (new Set(ids).size !== ids.length) throw invalid("devices.linodes", "Duplicate Linode id");
  const now = linodeTime();
  const f: FirewallRec = {
    id: world.take("firewall"),
    label,
    status: "enabled",
    tags,
    rules,
    devices: ids.map((linodeId) => ({ id: world.take("device"), linodeId, created: now, updated: now })),
    created: now,
    updated: now,
  };
  world.firewalls.set(f.id, f);
  world.event("firewall_create", { id: f.id, label: f.label, type: "firewall", url: `/v4/networking/firewalls/${f.id}` }, "finished");
  await world.applyFirewalls();
  return firewallBody(world, f);
}

async function update(world: World, f: FirewallRec, body: Record<string, unknown>) {
  if (body.label !== undefined) {
    const label = checkFirewallLabel(body.label);
    uniqueLabel(world, label, f.id);
    f.label = label;
  }
  if (body.tags !== undefined) f.tags = checkTags(body.tags);
  if (body.status !== undefined) {
    if (body.status !== "enabled" && body.status !== "disabled") throw invalid("status", "Must be enabled or disabled");
    f.status = body.status;
  }
  f.updated = linodeTime();
  await world.applyFirewalls();
  return firewallBody(world, f);
}

async function setRules(world: World, f: FirewallRec, body: Record<string, unknown>) {
  f.rules = checkRules(body, f.rules);
  f.updated = linodeTime();
  await world.applyFirewalls();
  return rulesBody(f);
}

async function addDevice(world: World, f: FirewallRec, body: Record<string, unknown>) {
  if (body.type !== "linode") throw invalid("type", "Only linode devices are supported by the local Linode world");
  const linodeId = checkAttachable(world, body.id, "id", f.id);
  const now = linodeTime();
  const d = { id: world.take("device"), linodeId, created: now, updated: now };
  f.devices.push(d);
  world.event("firewall_device_add", { id: f.id, label: f.label, type: "firewall", url: `/v4/networking/firewalls/${f.id}` }, "finished");
  await world.applyFirewalls();
  return deviceBody(world, d);
}

function getDevice(f: FirewallRec, raw: string) {
  const d = f.devices.find((x) => x.id === idParam(raw));
  if (!d) throw notFound();
  return d;
}

export function registerFirewalls(router: Router, world: World): void {
  router
    .on("GET networking/firewalls", (req) =>
      paged(
        req,
        [...world.firewalls.values()].map((f) => firewallBody(world, f)),
      ),
    )
    .on("POST networking/firewalls", (req) => create(world, objectBody(req)))
    .on("GET networking/firewalls/:id", (_req, [id]) => firewallBody(world, getFirewall(world, id)))
    .on("PUT networking/firewalls/:id", (req, [id]) => update(world, getFirewall(world, id), objectBody(req)))
    .on("DELETE networking/firewalls/:id", async (_req, [id]) => {
      const f = getFirewall(world, id);
      world.firewalls.delete(f.id);
      world.event("firewall_delete", { id: f.id, label: f.label, type: "firewall", url: `/v4/networking/firewalls/${f.id}` }, "finished");
      await world.applyFirewalls();
      return {};
    })
    .on("GET networking/firewalls/:id/rules", (_req, [id]) => rulesBody(getFirewall(world, id)))
    .on("PUT networking/firewalls/:id/rules", (req, [id]) => setRules(world, getFirewall(world, id), objectBody(req)))
    .on("GET networking/firewalls/:id/devices", (req, [id]) => {
      const f = getFirewall(world, id);
      return paged(
        req,
        f.devices.map((d) => deviceBody(world, d)),
      );
    })
    .on("POST networking/firewalls/:id/devices", (req, [id]) => addDevice(world, getFirewall(world, id), objectBody(req)))
    .on("GET networking/firewalls/:id/devices/:device", (_req, [id, device]) => {
      const f = getFirewall(world, id);
      return deviceBody(world, getDevice(f, device));
    })
    .on("DELETE networking/firewalls/:id/devices/:device", async (_req, [id, device]) => {
      const f = getFirewall(world, id);
      const d = getDevice(f, device);
      f.devices = f.devices.filter((x) => x !== d);
      world.event("firewall_device_remove", { id: f.id, label: f.label, type: "firewall", url: `/v4/networking/firewalls/${f.id}` }, "finished");
      await world.applyFirewalls();
      return {};
    });
}
