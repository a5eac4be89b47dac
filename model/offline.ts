// Offline rendering for `npm run render`: a stack-file-shaped document in, the
// complete per-region tree out. Secrets that only exist encrypted (`secure:`) or
// only after deployment (generated passwords, the certificate) get placeholders;
// addresses come from the document's optional `render:` map.
import { parseIp } from "./net";
import { normalizeRange } from "./addresses";
import { profileFiles, renderProfiles } from "./profiles";
import { renderRegion, RegionRender } from "./render";
import { aaaEnabled } from "./server/aaa";
import type { RegionAddresses, VpnConfig } from "./types";

import { GENERATED_PLACEHOLDER, SECRET_PLACEHOLDER } from "./placeholders";

export { GENERATED_PLACEHOLDER, SECRET_PLACEHOLDER };
const TSIG_PLACEHOLDER = Buffer.from("placeholder-tsig-secret").toString("base64");

export interface OfflineRegion extends RegionRender {
  /** user -> file name -> content. */
  profiles: Record<string, Record<string, string | Buffer>>;
}

/** Replaces every `{ secure: ... }` value with a placeholder (whole maps become empty). */
function stripSecure(key: string, v: unknown): unknown {
  const isSecure = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 1 && "secure" in x;
  if (isSecure(v)) return key === "vpn:passwords" ? {} : key === "vpn:rfc2136Secret" ? TSIG_PLACEHOLDER : SECRET_PLACEHOLDER;
  if (key === "vpn:passwords" && v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([u, p]) => [u, isSecure(p) ? SECRET_PLACEHOLDER : p]));
  }
  return v;
}

export function renderOffline(doc: Record<string, unknown>, stack: string, validate: (raw: Record<string, unknown>) => VpnConfig): OfflineRegion[] {
  const block = doc.config && typeof doc.config === "object" ? (doc.config as Record<string, unknown>) : doc;
  const raw = Object.fromEntries(
    Object.entries(block)
      .filter(([k]) => k !== "render")
      .map(([k, v]) => [k, stripSecure(k, v)]),
  );
  const config = validate(raw);
  const addresses = renderAddresses(doc.render ?? block.render ?? {}, config);
  const passwords = Object.fromEntries(config.users.map((u) => [u.name, config.passwords[u.name] ?? GENERATED_PLACEHOLDER]));
  // Profiles get no password at all, not even a plain one from the stack file: an offline
  // render is for review and diffing, so every profile leaves the password out and the
  // device asks for it (model/placeholders.ts). The server files keep theirs: they show
  // where each secret goes.
  const noPasswords = Object.fromEntries(
    config.users.map((u) => [u.name, config.passwords[u.name] === undefined ? GENERATED_PLACEHOLDER : SECRET_PLACEHOLDER]),
  );
  // Unsigned only: signing needs the certificate, which exists after deployment.
  const profiles = renderProfiles({ stack, config, passwords: noPasswords });
  return config.regions.map((region) => ({
    ...renderRegion({ config, region, addresses: addresses[region.region], passwords, radiusSecret: aaaEnabled(config) ? GENERATED_PLACEHOLDER : undefined }),
    profiles: Object.fromEntries(config.users.map((u) => [u.name, profileFiles(u.name, region.region, profiles[u.name][region.region])])),
  }));
}

/**
 * A bad `render:` map: every problem, one line each, in the form of ConfigError's
 * (`render.<region>.<field>: ...`), so the command prints both the same way.
 */
class RenderMapError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid render: map:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "RenderMapError";
  }
}

const FIELDS = ["ipv4", "ipv6", "ipv6Range"] as const;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v)));

/** Checks the `render:` map: known regions only, each with exactly ipv4, ipv6 and ipv6Range, all valid. */
function renderAddresses(map: unknown, config: VpnConfig): Record<string, RegionAddresses> {
  if (!isMap(map)) throw new RenderMapError(["render: must be a map of region -> { ipv4, ipv6, ipv6Range }"]);
  const problems: string[] = [];
  const out: Record<string, RegionAddresses> = {};
  for (const [region, v] of Object.entries(map)) {
    // A region key is the user's text: quoted unless it is a plain region id.
    const where = /^[a-z0-9-]+$/.test(region) ? `render.${region}` : `render[${JSON.stringify(region)}]`;
    if (!config.regions.some((r) => r.region === region)) {
      problems.push(`${where}: no such region in the config (have ${config.regions.map((r) => r.region).join(", ")})`);
      continue;
    }
    if (!isMap(v)) {
      problems.push(`${where}: must be a map with ipv4, ipv6 and ipv6Range, got ${shown(v)}`);
      continue;
    }
    const before = problems.length;
    const ipv4 = v.ipv4;
    const ipv6 = v.ipv6;
    if (typeof ipv4 !== "string" || parseIp(ipv4)?.family !== 4) problems.push(`${where}.ipv4: must be an IPv4 address, got ${shown(ipv4)}`);
    if (typeof ipv6 !== "string" || parseIp(ipv6)?.family !== 6) problems.push(`${where}.ipv6: must be an IPv6 address, got ${shown(ipv6)}`);
    let range = "";
    try {
      // Strictly a /64 network, as Linode reports it (with or without the /64): no other
      // prefix length and no host bits, which normalizeRange alone would round away.
      const m = typeof v.ipv6Range === "string" ? /^([0-9A-Fa-f:]+)(?:\/64)?$/.exec(v.ipv6Range) : null;
      if (!m) throw new Error("not a /64");
      range = normalizeRange(m[1]);
      if (parseIp(m[1])?.value !== parseIp(range.split("/")[0])?.value) throw new Error("host bits set");
    } catch {
      problems.push(`${where}.ipv6Range: must be an IPv6 /64 such as 2001:db8:1::/64, got ${shown(v.ipv6Range)}`);
    }
    const unknown = Object.keys(v).filter((k) => !(FIELDS as readonly string[]).includes(k));
    if (unknown.length) problems.push(`${where}: unknown field(s) ${unknown.join(", ")}; allowed: ${FIELDS.join(", ")}`);
    if (problems.length === before) out[region] = { ipv4: ipv4 as string, ipv6: ipv6 as string, ipv6Range: range };
  }
  if (problems.length) throw new RenderMapError(problems);
  return out;
}
