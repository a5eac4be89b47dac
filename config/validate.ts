// Stack config -> VpnConfig. Pure: takes the raw key/value map (values as Pulumi
// hands them over, JSON text for structured keys, or already-parsed values from a
// YAML file) and either returns a complete VpnConfig or throws a ConfigError that
// lists every problem, each naming its key and what is allowed.
import { CONFIG_KEYS, DEFAULT_DNS_SERVERS, DEFAULT_MAINTENANCE_WINDOW, DEFAULT_POOL_V4 } from "./keys";
import { unknownKeyProblems } from "./unknownKeys";
import { cidrContains, cidrSize, cidrsOverlap, Cidr, parseCidr, parseIp } from "../model/net";
import { windowsNameProblem } from "../model/fileNames";
import { LIFECYCLE_FIELDS, MAX_DEVICES_LIMIT, userLifecycle, validateRotations, wholeNumber } from "./userLifecycle";
import type { Compat, Image, OnDemand, RegionSpec, Rfc2136Settings, UniqueIds, UserSpec, VpnConfig } from "../model/types";

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * User names: EAP identities, file names, Windows connection names. Kept portable on purpose.
 * Not a dotted quad: strongSwan parses such a name as an IPv4 identity and feeds its
 * 4 binary bytes to EAP-MSCHAPv2, so that user could never log in (test/e2e).
 * The syntax alone still lets through names Windows cannot use as a file or folder name
 * (con, nul.txt, com1, a trailing dot): windowsNameProblem (model/fileNames.ts) refuses those.
 */
export const USER_NAME_RE = /^(?!\d+(?:\.\d+){3}$)[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const USER_NAME_RULE =
  "1-64 characters: letters, digits and . _ @ + - (starting with a letter or digit, not ending with a dot), not an IPv4 address, not a Windows device name such as con or com1";
/** Passwords: printable ASCII (space to ~), so every client platform can type and store them. */
export const PASSWORD_RE = /^[\x20-\x7e]{8,128}$/;
export const PASSWORD_RULE = "8-128 printable ASCII characters (space through ~), no leading or trailing space";

const REGION_RE = /^[a-z]{2}-[a-z]+(-\d+)?$/;
const INSTANCE_TYPE_RE = /^g\d+-[a-z0-9]+(-[a-z0-9]+)*$/;
const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const EMAIL_RE = /^[^\s@"'<>\\]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const SSID_MAX_BYTES = 32;
const IMAGES: Image[] = ["linode/debian12", "linode/ubuntu24.04"];
const PRIVATE_V4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => parseCidr(c) as Cidr);
/** Linode's own private network range: clients there would shadow the VM's private address space. */
const LINODE_PRIVATE = parseCidr("192.168.128.0/17") as Cidr;

type Raw = Record<string, unknown>;

class Collector {
  problems: string[] = [];
  add(key: string, msg: string): undefined {
    this.problems.push(`${key}: ${msg}`);
    return undefined;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

/** Structured keys arrive from Pulumi as JSON text; YAML callers hand over parsed values. */
function structured(c: Collector, key: string, v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return c.add(key, `must be a YAML list/object, got the text ${describe(v)}`);
  }
}

function str(c: Collector, raw: Raw, key: string, dflt?: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v !== "string") return c.add(key, `must be a string, got ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(c: Collector, raw: Raw, key: string, allowed: readonly T[], dflt: T): T {
  const v = str(c, raw, key, dflt);
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) {
    c.add(key, `must be one of ${allowed.join(", ")}, got ${describe(v)}`);
    return dflt;
  }
  return v as T;
}

function bool(c: Collector, raw: Raw, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  c.add(key, `must be true or false, got ${describe(v)}`);
  return dflt;
}

function int(c: Collector, raw: Raw, key: string, min: number, max: number): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) return c.add(key, `must be a whole number from ${min} to ${max}, got ${describe(v)}`);
  return n;
}

function list(c: Collector, raw: Raw, key: string, dflt?: unknown[]): unknown[] | undefined {
  const v = structured(c, key, raw[key]);
  if (v === undefined || v === null) return dflt;
  if (!Array.isArray(v)) return c.add(key, `must be a list, got ${describe(v)}`);
  return v;
}

export function validateHostname(c: Collector, key: string, v: unknown): string | undefined {
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

function validateRegions(c: Collector, raw: Raw, zone: string | undefined): RegionSpec[] {
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

function validatePool(c: Collector, raw: Raw, dns: string[]): Cidr | undefined {
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

function validateUsers(c: Collector, raw: Raw, pool: Cidr | undefined): UserSpec[] {
  const given = raw["vpn:users"];
  if (typeof given === "string" && given !== "" && !/^\s*[[{]/.test(given)) {
    // `vpn:users: alice` in a stack file arrives as the bare text: one message, with the fix.
    c.add("vpn:users", `must be a list of user names or { name, staticIpv4 } objects, got the text ${describe(given)}; a single user is written [${given}]`);
    return [];
  }
  const listed = list(c, raw, "vpn:users");
  if (listed === undefined) {
    if (given === undefined || given === null || given === "") c.add("vpn:users", "is required: a list of user names or { name, staticIpv4 } objects");
    return [];
  }
  if (listed.length === 0) c.add("vpn:users", "must list at least one user");
  const users: UserSpec[] = [];
  const seen = new Map<string, string>();
  const seenIp = new Map<string, string>();
  listed.forEach((item, i) => {
    const key = `vpn:users[${i}]`;
    let name: unknown = item;
    let staticIpv4: unknown;
    if (typeof item === "object" && item !== null && !Array.isArray(item)) {
      const o = item as Record<string, unknown>;
      const allowed = ["name", "staticIpv4", ...LIFECYCLE_FIELDS];
      const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
      if (unknown.length) c.add(key, `unknown field(s) ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
      name = o.name;
      staticIpv4 = o.staticIpv4;
    }
    if (typeof name !== "string" || !USER_NAME_RE.test(name)) {
      c.add(typeof item === "object" ? `${key}.name` : key, `user name must be ${USER_NAME_RULE}, got ${describe(name)}`);
      return;
    }
    // Each user gets a profile folder and files named after them (<user>/<user>.ps1 ...).
    const windows = windowsNameProblem(name);
    if (windows) {
      c.add(typeof item === "object" ? `${key}.name` : key, `user name ${JSON.stringify(name)} ${windows}; choose another name`);
      return;
    }
    const folded = name.toLowerCase();
    if (seen.has(folded)) {
      c.add(key, `user ${name} is listed twice (names are compared case-insensitively; first as ${seen.get(folded)})`);
      return;
    }
    seen.set(folded, name);
    const user: UserSpec = { name };
    if (typeof item === "object" && item !== null)
      Object.assign(
        user,
        userLifecycle((k, m) => c.add(k, m), key, name, item as Record<string, unknown>),
      );
    if (staticIpv4 !== undefined) {
      const ip = typeof staticIpv4 === "string" ? parseIp(staticIpv4) : undefined;
      if (!ip || ip.family !== 4) {
        c.add(`${key}.staticIpv4`, `must be an IPv4 address, got ${describe(staticIpv4)}`);
      } else if (pool && !(cidrContains(pool, 4, ip.value) && ip.value !== pool.base && ip.value !== pool.base + cidrSize(pool) - 1n)) {
        c.add(`${key}.staticIpv4`, `${staticIpv4} is not a usable address of vpn:poolV4 (${pool.text})`);
      } else if (pool && ip.value === pool.base + 1n) {
        c.add(`${key}.staticIpv4`, `${staticIpv4} is the server's own address in vpn:poolV4 (its DNS resolver); use another one`);
      } else if (seenIp.has(staticIpv4 as string)) {
        c.add(`${key}.staticIpv4`, `${staticIpv4} is already given to ${seenIp.get(staticIpv4 as string)}`);
      } else {
        seenIp.set(staticIpv4 as string, name);
        user.staticIpv4 = staticIpv4 as string;
      }
    }
    users.push(user);
  });
  return users;
}

function validatePasswords(c: Collector, raw: Raw, users: UserSpec[]): Record<string, string> {
  const v = structured(c, "vpn:passwords", raw["vpn:passwords"]);
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    c.add("vpn:passwords", `must be a map of user name -> password, got ${describe(v)}`);
    return {};
  }
  const names = new Set(users.map((u) => u.name));
  const out: Record<string, string> = {};
  for (const [name, pw] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Never echo a password back: the message only says what is wrong with it.
    if (!names.has(name)) {
      c.add(`vpn:passwords.${name}`, "has no matching user in vpn:users");
    } else if (typeof pw !== "string" || !PASSWORD_RE.test(pw) || pw !== pw.trim()) {
      c.add(`vpn:passwords.${name}`, `password must be ${PASSWORD_RULE}`);
    } else {
      out[name] = pw;
    }
  }
  return out;
}

function validateIpList(c: Collector, raw: Raw, key: string, dflt: string[], kind: "ip" | "cidr", emptyAllowed = false): string[] {
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

/** "ip", "ip:port" or "[ipv6]:port", as node:dns Resolver.setServers takes them. */
function validateResolvers(c: Collector, raw: Raw, key: string): string[] {
  const listed = list(c, raw, key, []) ?? [];
  const out: string[] = [];
  listed.forEach((v, i) => {
    const m = typeof v === "string" ? /^(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)|([0-9a-fA-F:]+))(?::(\d{1,5}))?$/.exec(v) : null;
    const addr = m && (m[1] ?? m[2] ?? m[3]);
    const port = m?.[4] === undefined ? 53 : Number(m[4]);
    const bareV6WithPort = m?.[3] !== undefined && m[4] !== undefined;
    if (!m || !addr || !parseIp(addr) || bareV6WithPort || port < 1 || port > 65535) {
      return c.add(`${key}[${i}]`, `must be a resolver address: ip, ip:port or [ipv6]:port, got ${describe(v)}`);
    }
    out.push(v as string);
  });
  return out;
}

function validateAcmeServer(c: Collector, raw: Raw): string {
  const v = str(c, raw, "vpn:acmeServer", "production")!;
  if (v === "production") return "https://acme-v02.api.letsencrypt.org/directory";
  if (v === "staging") return "https://acme-staging-v02.api.letsencrypt.org/directory";
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== "https:") {
    c.add("vpn:acmeServer", `must be production, staging or an https:// ACME directory URL, got ${describe(v)}`);
    return "https://acme-v02.api.letsencrypt.org/directory";
  }
  return v;
}

function validateRfc2136(c: Collector, raw: Raw, needed: boolean): { settings?: Rfc2136Settings; secret?: string } {
  const v = structured(c, "vpn:rfc2136", raw["vpn:rfc2136"]);
  const empty = v === undefined || v === null || (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
  const secret = str(c, raw, "vpn:rfc2136Secret");
  if (!needed) return {};
  if (empty || typeof v !== "object" || Array.isArray(v)) {
    c.add("vpn:rfc2136", "is required with vpn:dnsProvider rfc2136: { server, keyName, algorithm }");
    return {};
  }
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !["server", "keyName", "algorithm"].includes(k));
  if (unknown.length) c.add("vpn:rfc2136", `unknown field(s) ${unknown.join(", ")}; allowed: server, keyName, algorithm`);
  let host: string | undefined;
  let port = 53;
  if (typeof o.server === "string") {
    const m = /^\[([0-9a-fA-F:]+)\](?::(\d+))?$/.exec(o.server) ?? /^([^:\s]+)(?::(\d+))?$/.exec(o.server) ?? (parseIp(o.server) ? [o.server, o.server] : null);
    if (m) {
      host = m[1];
      port = m[2] ? Number(m[2]) : 53;
    }
  }
  if (!host || port < 1 || port > 65535) c.add("vpn:rfc2136.server", `must be host, host:port or [ipv6]:port, got ${describe(o.server)}`);
  const keyName = typeof o.keyName === "string" && /^[A-Za-z0-9._-]{1,253}$/.test(o.keyName) ? o.keyName : undefined;
  if (!keyName) c.add("vpn:rfc2136.keyName", `must be a TSIG key name (letters, digits, . _ -), got ${describe(o.keyName)}`);
  const algorithm = (o.algorithm ?? "hmac-sha256") as Rfc2136Settings["algorithm"];
  if (!["hmac-sha256", "hmac-sha384", "hmac-sha512"].includes(algorithm)) {
    c.add("vpn:rfc2136.algorithm", `must be hmac-sha256, hmac-sha384 or hmac-sha512, got ${describe(o.algorithm)}`);
  }
  if (!secret || !/^[A-Za-z0-9+/]+={0,2}$/.test(secret))
    c.add("vpn:rfc2136Secret", "is required with vpn:dnsProvider rfc2136 and must be the base64 TSIG secret");
  if (!host || !keyName) return {};
  return { settings: { server: host, port, keyName, algorithm }, secret };
}

function validateSsids(c: Collector, raw: Raw): string[] {
  const listed = list(c, raw, "vpn:trustedSsids", []) ?? [];
  return listed.filter((v, i): v is string => {
    if (typeof v !== "string" || v.length === 0 || Buffer.byteLength(v) > SSID_MAX_BYTES || /[\x00-\x1f\x7f]/.test(v)) {
      c.add(`vpn:trustedSsids[${i}]`, `must be a Wi-Fi SSID (1-32 bytes, no control characters), got ${describe(v)}`);
      return false;
    }
    return true;
  });
}

/**
 * Validates the whole `vpn:` namespace. `raw` maps full keys (`vpn:users`) to values;
 * keys of the providers' namespaces (linode:token, ...) are ignored, keys in a
 * misspelt namespace (`vnp:compat`) are refused with the nearest known key.
 */
export interface ValidateOptions {
  /**
   * Whether the engine handed over `key` encrypted. Given by the program (not the
   * offline render, which reads a plain YAML file): secret-contract keys must be
   * stored with `pulumi config set --secret`, since Pulumi.yaml cannot demand it.
   */
  isSecret?: (key: string) => boolean;
}

const SET_SECRET_HINT: Record<string, string> = {
  "vpn:passwords": "pulumi config set --secret --path 'vpn:passwords.<user>' '<password>'",
  "vpn:rfc2136Secret": "pulumi config set --secret vpn:rfc2136Secret '<base64 secret>'",
};

function plainSecrets(c: Collector, raw: Raw, isSecret: (key: string) => boolean): void {
  for (const k of CONFIG_KEYS.filter((k) => k.secret)) {
    const v = raw[k.key];
    const unset =
      v === undefined ||
      v === null ||
      v === "" ||
      (typeof v === "string" && /^\s*\{\s*\}\s*$/.test(v)) ||
      (typeof v === "object" && Object.keys(v).length === 0);
    if (!unset && !isSecret(k.key))
      c.add(k.key, `is stored in plain text in the stack file; store it encrypted: ${SET_SECRET_HINT[k.key] ?? `pulumi config set --secret ${k.key} <value>`}`);
  }
}

export function validateConfig(raw: Raw, opts: ValidateOptions = {}): VpnConfig {
  const c = new Collector();
  if (opts.isSecret) plainSecrets(c, raw, opts.isSecret);
  for (const { key, message } of unknownKeyProblems(Object.keys(raw))) c.add(key, message);
  const zone =
    raw["vpn:zone"] === undefined || raw["vpn:zone"] === ""
      ? c.add("vpn:zone", "is required: the Linode DNS zone (domain) that holds the VPN hostname")
      : validateHostname(c, "vpn:zone", raw["vpn:zone"]);
  const regions = validateRegions(c, raw, zone);
  const instanceType = str(c, raw, "vpn:instanceType", "g6-nanode-1")!;
  if (!INSTANCE_TYPE_RE.test(instanceType))
    c.add("vpn:instanceType", `must be a Linode plan id such as g6-nanode-1 or g6-standard-2, got ${describe(instanceType)}`);
  const image = oneOf(c, raw, "vpn:image", IMAGES, "linode/debian12");
  // Empty (the default): the server's own resolver (model/server/resolver.ts).
  const dnsServers = validateIpList(c, raw, "vpn:dnsServers", DEFAULT_DNS_SERVERS, "ip", true);
  const sshAllowedCidrs = validateIpList(c, raw, "vpn:sshAllowedCidrs", ["0.0.0.0/0", "::/0"], "cidr");
  const pool = validatePool(c, raw, dnsServers);
  const users = validateUsers(c, raw, pool);
  const passwords = validatePasswords(c, raw, users);
  const rotations = validateRotations((k, m) => c.add(k, m), structured(c, "vpn:rotations", raw["vpn:rotations"]), new Set(users.map((u) => u.name)));
  const perUser = raw["vpn:maxDevicesPerUser"];
  // 0 (the stack file's "not set") and absent: no limit.
  const maxDevicesPerUser =
    perUser === undefined || perUser === null || perUser === "" || perUser === 0 || perUser === "0"
      ? undefined
      : wholeNumber((k, m) => c.add(k, m), "vpn:maxDevicesPerUser", perUser, 1, MAX_DEVICES_LIMIT);
  const accounting = bool(c, raw, "vpn:accounting", false);
  const shareLinks = bool(c, raw, "vpn:shareLinks", true);
  const compat = oneOf<Compat>(c, raw, "vpn:compat", ["modern", "legacy"], "modern");
  const uniqueIds = oneOf<UniqueIds>(c, raw, "vpn:uniqueIds", ["never", "no", "keep", "replace"], "never");
  const email = str(c, raw, "vpn:acmeEmail");
  if (email !== undefined && !EMAIL_RE.test(email)) c.add("vpn:acmeEmail", `must be an e-mail address, got ${describe(email)}`);
  const directoryUrl = validateAcmeServer(c, raw);
  const profile = str(c, raw, "vpn:acmeProfile");
  if (profile !== undefined && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(profile))
    c.add("vpn:acmeProfile", `must be an ACME profile name such as classic or tlsserver, got ${describe(profile)}`);
  const renewBeforeDays = int(c, raw, "vpn:renewBeforeDays", 0, 365) || undefined; // 0 = automatic
  const dnsResolvers = validateResolvers(c, raw, "vpn:acmeDnsResolvers");
  const revokeOnDestroy = bool(c, raw, "vpn:revokeOnDestroy", false);
  const dnsProvider = oneOf(c, raw, "vpn:dnsProvider", ["linode", "rfc2136"] as const, "linode");
  const rfc = validateRfc2136(c, raw, dnsProvider === "rfc2136");
  const onDemand = oneOf<OnDemand>(c, raw, "vpn:onDemand", ["off", "always", "untrusted-wifi"], "off");
  const trustedSsids = validateSsids(c, raw);
  if (onDemand !== "untrusted-wifi" && trustedSsids.length > 0) c.add("vpn:trustedSsids", "only applies with vpn:onDemand untrusted-wifi");
  const appleKillSwitch = bool(c, raw, "vpn:appleKillSwitch", false);
  const clientToClient = bool(c, raw, "vpn:clientToClient", false);
  const maintenanceWindow = str(c, raw, "vpn:maintenanceWindow", DEFAULT_MAINTENANCE_WINDOW)!;
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(maintenanceWindow))
    c.add("vpn:maintenanceWindow", `must be a UTC time of day as HH:MM (00:00 to 23:59), got ${describe(maintenanceWindow)}`);

  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return {
    zone: zone!,
    regions,
    instanceType,
    image,
    users,
    passwords,
    ...(Object.keys(rotations).length ? { rotations } : {}),
    ...(maxDevicesPerUser !== undefined ? { maxDevicesPerUser } : {}),
    ...(accounting ? { accounting } : {}),
    shareLinks,
    sshAllowedCidrs,
    dnsServers,
    poolV4: pool!.text,
    compat,
    uniqueIds,
    acme: { email, directoryUrl, profile, dnsResolvers, renewBeforeDays, revokeOnDestroy, dnsProvider, rfc2136: rfc.settings, rfc2136Secret: rfc.secret },
    onDemand,
    trustedSsids,
    appleKillSwitch,
    clientToClient,
    maintenanceWindow,
  };
}
