// Where the servers stand and which addresses they use: the zone and the region
// hostnames, the pushed DNS servers, the SSH source ranges and the IPv4 pool.
import { DEFAULT_POOL_V4 } from "../keys";
import { cidrContains, cidrsOverlap, Cidr, parseCidr, parseIp } from "../../model/net";
import type { RegionSpec } from "../../model/types";
import { Collector, describe, list, Raw, str } from "./fields";

const REGION_RE = /^[a-z]{2}-[a-z]+(-\d+)?$/;
const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => parseCidr(c) as Cidr);
/** Linode's own private network range: clients there would shadow the VM's private address space. */
const LINODE_PRIVATE = parseCidr("192.168.128.0/17") as Cidr;

function validateHostname(c: Collector, key: string, v: unknown): string | undefined {
  if (typeof v !== "string" || v === "") return c.add(key, `must be a fully qualified domain name, got ${describe(v)}`);
  if (v !== v.toLowerCase()) return c.add(key, `must be lowercase, got ${describe(v)}`);
  const name = v.endsWith(".") ? v.slice(0, -1) : v;
  const labels = name.split(".");
  if (name.length > 253 || labels.length < 2 || !labels.every((l) => LABEL_RE.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    return c.add(key, `must be a fully qualified domain name (letters, digits, hyphens; dot-separated labels of 1-63 characters), got ${describe(v)}`);
  }
  return name;
}

function inZone(hostname: string, zone: string): boolean {
  return hostname === zone || hostname.endsWith(`.${zone}`);
}

export function validateRegions(c: Collector, raw: Raw, zone: string | undefined): RegionSpec[] {
  const checkRegion = (key: string, v: unknown): string | undefined => {
    if (typeof v !== "string" || !REGION_RE.test(v)) {
      return c.add(key, `must be a Linode region id such as us-ord, eu-central or in-bom-2, got ${describe(v)}`);
    }
    return v;
  };
  const checkHost = (key: string, v: unknown): string | undefined => {
    const h = validateHostname(c, key, v);
    if (h && zone && !inZone(h, zone)) return c.add(key, `${h} is not inside the zone vpn:zone (${zone})`);
    return h;
  };
  const given = list(c, raw, "vpn:regions");
  // An empty list is the Pulumi.yaml default: "not set".
  const listed = given && given.length > 0 ? given : undefined;
  if (listed === undefined) {
    if (raw["vpn:hostname"] === undefined || raw["vpn:hostname"] === "") {
      c.add("vpn:hostname", "is required (the FQDN users connect to), or set vpn:regions");
      return [];
    }
    const region = checkRegion("vpn:region", raw["vpn:region"] ?? "us-ord");
    const hostname = checkHost("vpn:hostname", raw["vpn:hostname"]);
    return region && hostname ? [{ region, hostname }] : [];
  }
  const out: RegionSpec[] = [];
  const seenRegion = new Set<string>();
  const seenHost = new Set<string>();
  listed.forEach((item, i) => {
    const key = `vpn:regions[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      c.add(key, `must be an object { region, hostname }, got ${describe(item)}`);
      return;
    }
    const unknown = Object.keys(item).filter((k) => k !== "region" && k !== "hostname");
    if (unknown.length) c.add(key, `unknown field(s) ${unknown.join(", ")}; allowed: region, hostname`);
    const o = item as Record<string, unknown>;
    const region = checkRegion(`${key}.region`, o.region);
    const hostname = checkHost(`${key}.hostname`, o.hostname);
    if (region && seenRegion.has(region)) c.add(`${key}.region`, `${region} is listed twice; each region holds one VPN server`);
    if (hostname && seenHost.has(hostname)) c.add(`${key}.hostname`, `${hostname} is used by two regions`);
    if (region) seenRegion.add(region);
    if (hostname) seenHost.add(hostname);
    if (region && hostname) out.push({ region, hostname });
  });
  return out;
}

export function validatePool(c: Collector, raw: Raw, dns: string[]): Cidr | undefined {
  const text = str(c, raw, "vpn:poolV4", DEFAULT_POOL_V4)!;
  const pool = parseCidr(text);
  if ("error" in pool) return c.add("vpn:poolV4", `${describe(text)} ${pool.error}`);
  if (pool.family !== 4) return c.add("vpn:poolV4", `must be an IPv4 CIDR (IPv6 addresses come from the routed /64), got ${describe(text)}`);
  if (pool.prefix < 16 || pool.prefix > 28) return c.add("vpn:poolV4", `must be between /16 and /28, got /${pool.prefix}`);
  if (!PRIVATE_V4.some((p) => p.prefix <= pool.prefix && cidrContains(p, 4, pool.base))) {
    return c.add("vpn:poolV4", `must lie in a private range (10/8, 172.16/12, 192.168/16, 100.64/10), got ${text}`);
  }
  if (cidrsOverlap(pool, LINODE_PRIVATE)) return c.add("vpn:poolV4", `${text} overlaps Linode's private network 192.168.128.0/17`);
  for (const d of dns) {
    const ip = parseIp(d);
    if (ip && cidrContains(pool, ip.family, ip.value)) c.add("vpn:poolV4", `${text} overlaps the pushed DNS server ${d} (vpn:dnsServers)`);
  }
  return pool;
}

export function validateIpList(c: Collector, raw: Raw, key: string, dflt: string[], kind: "ip" | "cidr", emptyAllowed = false): string[] {
  const listed = list(c, raw, key, dflt) ?? dflt;
  if (listed.length === 0 && !emptyAllowed) c.add(key, "must not be empty");
  const out: string[] = [];
  listed.forEach((v, i) => {
    if (typeof v !== "string") return c.add(`${key}[${i}]`, `must be a string, got ${describe(v)}`);
    if (kind === "ip") {
      if (!parseIp(v)) return c.add(`${key}[${i}]`, `must be an IPv4 or IPv6 address, got ${describe(v)}`);
    } else {
      const p = parseCidr(v);
      if ("error" in p) return c.add(`${key}[${i}]`, `${describe(v)} ${p.error}`);
    }
    if (out.includes(v)) return c.add(`${key}[${i}]`, `${v} is listed twice`);
    out.push(v);
  });
  return out;
}

/** vpn:zone: required, a lowercase FQDN. */
export function validateZone(c: Collector, raw: Raw): string | undefined {
  return raw["vpn:zone"] === undefined || raw["vpn:zone"] === ""
    ? c.add("vpn:zone", "is required: the Linode DNS zone (domain) that holds the VPN hostname")
    : validateHostname(c, "vpn:zone", raw["vpn:zone"]);
}
