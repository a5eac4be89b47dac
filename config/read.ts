// Reads the stack's `vpn:` config from the Pulumi runtime and validates it once,
// before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, validateConfig } from "./validate";
import type { VpnConfig } from "../model/types";

/**
 * Raw values straight from the engine. `runtime.allConfig()` is used rather than
 * `Config.get` so that reading secret keys for validation logs no warning; secret
 * values are wrapped in pulumi.secret() wherever they leave this process.
 */
export function rawStackConfig(): Record<string, string> {
  // Every namespace, so that a misspelt one (`vnp:compat`) is caught, not ignored.
  return { ...pulumi.runtime.allConfig() };
}

/**
 * Whether the engine marked `key` secret (PULUMI_CONFIG_SECRET_KEYS, set by the
 * language host). @pulumi/pulumi 3.248 exports `isConfigSecret` from runtime/config
 * without declaring it in its typings.
 */
function isConfigSecret(key: string): boolean {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (!fn) throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret: config/read.ts needs updating");
  return fn(key);
}

export function readStackConfig(): VpnConfig {
  try {
    return validateConfig(rawStackConfig(), { isSecret: isConfigSecret });
  } catch (e) {
    // A RunError makes the engine print just the message (every problem, each naming its
    // key), not the program's stack trace: a bad stack file is the user's to fix, not a bug.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
