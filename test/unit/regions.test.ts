// The check of configured regions against what the Linode API offers (config/regions.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRegionsOffered, regionKeys } from "../../config/regions";
import { hasMetadata } from "../../model/firstBoot";
import { ConfigError, validateConfig } from "../../config/validate";
import { BASE, THREE_REGIONS, withKeys } from "./fixtures";

const OFFERED = [
  { id: "us-ord", capabilities: ["Metadata", "Linodes"] },
  { id: "us-sea", capabilities: ["Linodes"] },
  { id: "us-mia", capabilities: ["Linodes", "Metadata"] },
  { id: "eu-central", capabilities: ["Linodes", "Metadata"] },
  { id: "ap-south", capabilities: ["Metadata"] },
];

test("keys: vpn:region for the single region, vpn:regions[i].region for a list", () => {
  assert.deepEqual(regionKeys(validateConfig(BASE), undefined), ["vpn:region"]);
  assert.deepEqual(regionKeys(validateConfig(BASE), "[]"), ["vpn:region"], "an empty list is the default: not set");
  const three = validateConfig(THREE_REGIONS);
  assert.deepEqual(regionKeys(three, JSON.stringify(THREE_REGIONS["vpn:regions"])), [
    "vpn:regions[0].region",
    "vpn:regions[1].region",
    "vpn:regions[2].region",
  ]);
});

test("offered regions: their capabilities, sorted; Metadata read from them", () => {
  const caps = checkRegionsOffered(validateConfig(BASE), ["vpn:region"], OFFERED);
  assert.deepEqual(caps, { "us-ord": ["Linodes", "Metadata"] });
  assert.equal(hasMetadata(caps["us-ord"]), true);
  assert.equal(hasMetadata(["Linodes"]), false);
});

test("unknown regions: one error naming every key, the nearest ids first, then all of them", () => {
  const config = validateConfig(
    withKeys(
      {
        "vpn:regions": [
          { region: "us-mars", hostname: "a.vpn.example.com" },
          { region: "eu-centrl", hostname: "b.vpn.example.com" },
        ],
      },
      ["vpn:hostname"],
    ),
  );
  let err: unknown;
  try {
    checkRegionsOffered(config, ["vpn:regions[0].region", "vpn:regions[1].region"], OFFERED);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  assert.equal(err.problems.length, 2);
  assert.match(
    err.problems[0],
    /^vpn:regions\[0\]\.region: us-mars is not a region the Linode API offers; nearest: us-mia, us-ord, us-sea; available: ap-south, eu-central, us-mia, us-ord, us-sea$/,
  );
  assert.match(err.problems[1], /^vpn:regions\[1\]\.region: eu-centrl .*nearest: eu-central,/);
});

test("an API that reports no region: said so, not a list of nothing", () => {
  assert.throws(
    () => checkRegionsOffered(validateConfig(BASE), ["vpn:region"], []),
    /vpn:region: us-ord cannot be checked: the Linode API reported no regions/,
  );
});
