// The certificate: the ACME account and server, the DNS-01 provider (Linode or an
// RFC 2136 name server with its TSIG key) and where propagation is checked.
import { parseIp } from "../../model/net";
import type { Rfc2136Settings, VpnConfig } from "../../model/types";
import { bool, Collector, describe, int, list, oneOf, Raw, str, structured } from "./fields";

const EMAIL_RE = /^[^\s@"'<>\\]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

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

/** Every vpn:acme* key, vpn:revokeOnDestroy, vpn:dnsProvider and vpn:rfc2136*, in that order. */
export function validateAcme(c: Collector, raw: Raw): VpnConfig["acme"] {
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
  return { email, directoryUrl, profile, dnsResolvers, renewBeforeDays, revokeOnDestroy, dnsProvider, rfc2136: rfc.settings, rfc2136Secret: rfc.secret };
}
