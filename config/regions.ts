// The region check that needs the Linode API: every configured region must be one the
// provider reports (`linode.getRegions`, run at preview and up, before any resource
// is registered). The offline render cannot ask the API and keeps the format check
// of config/validate.ts only. Pure: the program passes in what the API returned.
import { distance } from "fastest-levenshtein";
import type { VpnConfig } from "../model/types";
import { ConfigError } from "./validate";

/** A region as `linode.getRegions` reports it (GET /v4/regions). */
export interface OfferedRegion {
  id: string;
  capabilities: string[];
}

/** How many near misses an unknown region's message suggests. */
const NEAREST = 3;

/** The config key each region came from, in config order: `vpn:region` or `vpn:regions[i].region`. */
export function regionKeys(config: VpnConfig, rawRegions: string | undefined): string[] {
  let listed = false;
  try {
    const v = rawRegions === undefined || rawRegions === "" ? undefined : (JSON.parse(rawRegions) as unknown);
    listed = Array.isArray(v) && v.length > 0;
  } catch {
    listed = false; // validateConfig already reported it; nothing is created then
  }
  return config.regions.map((_, i) => (listed ? `vpn:regions[${i}].region` : "vpn:region"));
}

/**
 * Capabilities per configured region. Throws one ConfigError naming every unknown
 * region's key, its nearest offered ids, and the whole list the API offers.
 */
export function checkRegionsOffered(config: VpnConfig, keys: string[], offered: OfferedRegion[]): Record<string, string[]> {
  const byId = new Map(offered.map((r) => [r.id, r.capabilities ?? []]));
  const ids = [...byId.keys()].sort();
  const problems: string[] = [];
  const out: Record<string, string[]> = {};
  config.regions.forEach((spec, i) => {
    const caps = byId.get(spec.region);
    if (caps) {
      out[spec.region] = [...caps].sort();
      return;
    }
    const nearest = [...ids].sort((a, b) => distance(spec.region, a) - distance(spec.region, b) || (a < b ? -1 : 1)).slice(0, NEAREST);
    problems.push(
      ids.length === 0
        ? `${keys[i]}: ${spec.region} cannot be checked: the Linode API reported no regions for this token`
        : `${keys[i]}: ${spec.region} is not a region the Linode API offers; nearest: ${nearest.join(", ")}; available: ${ids.join(", ")}`,
    );
  });
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/**
 * The provider's getImage failed. A 404 (linodego: "[404] Not found") means the API
 * does not offer this image (a deprecated or private id, or an API that lacks it):
 * a config error naming the key. Anything else (a token refused, the API
 * unreachable) is not about the config: undefined, and the caller reports it as is.
 */
export function imageNotOffered(image: string, err: unknown): ConfigError | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (!/\[404\]/.test(message)) return undefined;
  return new ConfigError([`vpn:image: ${image} is not an image the Linode API offers (GET /v4/images answered 404)`]);
}
