// Reads the stack's `vpn:` config from the Pulumi runtime and validates it once,
// before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS } from "./keys";
import { validateConfig } from "./validate";
import type { VpnConfig } from "../model/types";

/**
 * Raw values straight from the engine. `runtime.allConfig()` is used rather than
 * `Config.get` so that reading secret keys for validation logs no warning; secret
 * values are wrapped in pulumi.secret() wherever they leave this process.
 */
export function rawStackConfig(): Record<string, string> {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(all)) if (key.startsWith("vpn:")) raw[key] = value;
  return raw;
}

export function readStackConfig(): VpnConfig {
  return validateConfig(rawStackConfig());
}

/** Keys declared secret in the contract: their values must never appear in plain outputs. */
export const SECRET_KEYS = CONFIG_KEYS.filter((k) => k.secret).map((k) => k.key);
