// Offline rendering for `npm run render`: a stack-file-shaped document in, the
// complete per-region tree out. Secrets that only exist encrypted (`secure:`) or
// only after deployment (generated passwords, the certificate) get placeholders;
// addresses come from the document's optional `render:` map.
import { renderRegion, RegionRender } from "./render";
import type { RegionAddresses, VpnConfig } from "./types";

export const SECRET_PLACEHOLDER = "[secret from the stack]";
export const GENERATED_PLACEHOLDER = "[generated at deploy]";
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
  const addresses: Record<string, RegionAddresses> = (doc.render ?? block.render ?? {}) as Record<string, RegionAddresses>;
  const passwords = Object.fromEntries(config.users.map((u) => [u.name, config.passwords[u.name] ?? GENERATED_PLACEHOLDER]));
  return config.regions.map((region) => ({
    ...renderRegion({ config, region, addresses: addresses[region.region], passwords }),
    profiles: {},
  }));
}
