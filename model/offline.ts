// Offline rendering for `npm run render`: a stack-file-shaped document in, the
// complete per-region tree out. Secrets that only exist encrypted (`secure:`) or
// only after deployment (generated passwords, the certificate) get placeholders;
// addresses come from the document's optional `render:` map.
import { parseIp } from "../config/net";
import { normalizeRange } from "./addresses";
import { profileFiles, renderProfiles } from "./profiles";
import { renderRegion, RegionRender } from "./render";
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

export function renderOffline(
  doc: Record<string, any>,
  stack: string,
  validate: (raw: Record<string, unknown>) => VpnConfig,
): OfflineRegion[] {
  const block: Record<string, unknown> = doc.config && typeof doc.config === "object" ? doc.config : doc;
  const raw = Object.fromEntries(Object.entries(block).filter(([k]) => k !== "render").map(([k, v]) => [k, stripSecure(k, v)]));
  const config = validate(raw);
  const addresses = renderAddresses(doc.render ?? block.render ?? {}, config);
  const passwords = Object.fromEntries(config.users.map((u) => [u.name, config.passwords[u.name] ?? GENERATED_PLACEHOLDER]));
  // Profiles get no password at all, not even a plain one from the stack file: an offline
  // render is for review and diffing, so every profile leaves the password out and the
  // device asks for it (model/placeholders.ts). The server files keep theirs: they show
  // where each secret goes.
  const noPasswords = Object.fromEntries(config.users.map((u) => [u.name, config.passwords[u.name] === undefined ? GENERATED_PLACEHOLDER : SECRET_PLACEHOLDER]));
  // Unsigned only: signing needs the certificate, which exists after deployment.
  const profiles = renderProfiles({ stack, config, passwords: noPasswords });
  return config.regions.map((region) => ({
    ...renderRegion({ config, region, addresses: addresses[region.region], passwords }),
    profiles: Object.fromEntries(config.users.map((u) => [u.name, profileFiles(u.name, region.region, profiles[u.name][region.region])])),
  }));
}

/** Checks the `render:` map: known regions only, each with valid ipv4, ipv6 and ipv6Range. */
function renderAddresses(map: unknown, config: VpnConfig): Record<string, RegionAddresses> {
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new Error("render: must be a map of region -> { ipv4, ipv6, ipv6Range }");
  const out: Record<string, RegionAddresses> = {};
  for (const [region, v] of Object.entries(map as Record<string, any>)) {
    const where = `render.${region}`;
    if (!config.regions.some((r) => r.region === region)) throw new Error(`${where}: no such region in the config (have ${config.regions.map((r) => r.region).join(", ")})`);
    if (parseIp(String(v?.ipv4))?.family !== 4) throw new Error(`${where}.ipv4: must be an IPv4 address`);
    if (parseIp(String(v?.ipv6))?.family !== 6) throw new Error(`${where}.ipv6: must be an IPv6 address`);
    let range: string;
    try {
      range = normalizeRange(String(v?.ipv6Range));
    } catch {
      throw new Error(`${where}.ipv6Range: must be an IPv6 /64 such as 2001:db8:1::/64`);
    }
    out[region] = { ipv4: v.ipv4, ipv6: v.ipv6, ipv6Range: range };
  }
  return out;
}
