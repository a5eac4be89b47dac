// Shared fixture configs for unit tests.
import assert from "node:assert/strict";
import { ConfigError, validateConfig } from "../../config/validate";

/** The problems validateConfig lists for `raw`; fails the test when it accepts it. */
export function problems(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(raw);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail("expected the config to be rejected");
}

export const BASE: Record<string, unknown> = {
  "vpn:zone": "example.com",
  "vpn:hostname": "vpn.example.com",
  "vpn:users": ["alice", { name: "bob", staticIpv4: "10.47.83.50" }],
  "vpn:passwords": { alice: "correct horse battery" },
};

export function withKeys(extra: Record<string, unknown>, drop: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...BASE, ...extra };
  for (const k of drop) delete out[k];
  return out;
}

export const THREE_REGIONS: Record<string, unknown> = withKeys(
  {
    "vpn:regions": [
      { region: "us-ord", hostname: "ord.vpn.example.com" },
      { region: "eu-central", hostname: "fra.vpn.example.com" },
      { region: "ap-south", hostname: "sin.vpn.example.com" },
    ],
  },
  ["vpn:hostname"],
);

export const PASSWORDS = { alice: "correct horse battery", bob: "generated-for-tests-0123456789" };
