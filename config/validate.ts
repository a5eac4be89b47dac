// Stack config -> VpnConfig. Pure: takes the raw key/value map (values as Pulumi
// hands them over, JSON text for structured keys, or already-parsed values from a
// YAML file) and either returns a complete VpnConfig or throws a ConfigError that
// lists every problem, each naming its key and what is allowed.
//
// This file composes the checks, key by key in a fixed order (the order of the
// problems in a ConfigError); each concern's checks live in ./validate/: fields.ts
// (the collector and the typed readers), network.ts (zone, regions, addresses),
// users.ts (users, passwords, limits), acme.ts (certificate and DNS-01 provider),
// clients.ts (what the profiles switch on).
import { CONFIG_KEYS, DEFAULT_DNS_SERVERS, DEFAULT_MAINTENANCE_WINDOW } from "./keys";
import { unknownKeyProblems } from "./unknownKeys";
import type { Compat, Image, UniqueIds, VpnConfig } from "../model/types";
import { bool, Collector, describe, oneOf, Raw, str } from "./validate/fields";
import { validateIpList, validatePool, validateRegions, validateZone } from "./validate/network";
import { validateUserKeys } from "./validate/users";
import { validateAcme } from "./validate/acme";
import { validateOnDemand } from "./validate/clients";

export { PASSWORD_RE, USER_NAME_RE } from "./validate/users";

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const INSTANCE_TYPE_RE = /^g\d+-[a-z0-9]+(-[a-z0-9]+)*$/;
const IMAGES: Image[] = ["linode/debian12", "linode/ubuntu24.04"];

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
  const zone = validateZone(c, raw);
  const regions = validateRegions(c, raw, zone);
  const instanceType = str(c, raw, "vpn:instanceType", "g6-nanode-1")!;
  if (!INSTANCE_TYPE_RE.test(instanceType))
    c.add("vpn:instanceType", `must be a Linode plan id such as g6-nanode-1 or g6-standard-2, got ${describe(instanceType)}`);
  const image = oneOf(c, raw, "vpn:image", IMAGES, "linode/debian12");
  // Empty (the default): the server's own resolver (model/server/resolver.ts).
  const dnsServers = validateIpList(c, raw, "vpn:dnsServers", DEFAULT_DNS_SERVERS, "ip", true);
  const sshAllowedCidrs = validateIpList(c, raw, "vpn:sshAllowedCidrs", ["0.0.0.0/0", "::/0"], "cidr");
  const pool = validatePool(c, raw, dnsServers);
  const { users, passwords, rotations, maxDevicesPerUser } = validateUserKeys(c, raw, pool);
  const accounting = bool(c, raw, "vpn:accounting", false);
  const shareLinks = bool(c, raw, "vpn:shareLinks", true);
  const compat = oneOf<Compat>(c, raw, "vpn:compat", ["modern", "legacy"], "modern");
  const uniqueIds = oneOf<UniqueIds>(c, raw, "vpn:uniqueIds", ["never", "no", "keep", "replace"], "never");
  const acme = validateAcme(c, raw);
  const { onDemand, trustedSsids, appleKillSwitch } = validateOnDemand(c, raw);
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
    acme,
    onDemand,
    trustedSsids,
    appleKillSwitch,
    clientToClient,
    maintenanceWindow,
  };
}
