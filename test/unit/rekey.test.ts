// The rekey policy (model/rekey.ts): consistent, and what the server config and the profiles
// actually say. The e2e tier (test/e2e/rekey.test.ts) runs it with real charons.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { renderProfiles } from "../../model/profiles";
import { CLIENT_LIFETIMES, ClientLifetimes, SERVER_LIFETIMES, ServerLifetimes, swanDuration } from "../../model/rekey";
import { renderRegion } from "../../model/render";
import { PATHS } from "../../model/server/files";
import { BASE, PASSWORDS } from "./fixtures";
import { parsePlist, STACK, testConfig } from "./profiles-fixtures";

const MIN = 60;

/** Problems with a lifetime policy (empty = consistent): the tests below check model/rekey.ts's. */
function policyProblems(server: ServerLifetimes = SERVER_LIFETIMES, clients: Record<string, ClientLifetimes> = CLIENT_LIFETIMES): string[] {
  const out: string[] = [];
  for (const [name, c] of Object.entries(clients)) {
    if (c.childRekeySeconds >= server.childLifeSeconds)
      out.push(`${name}: CHILD rekey interval ${c.childRekeySeconds}s is not below the server's hard lifetime ${server.childLifeSeconds}s`);
    if (c.childRekeySeconds > c.ikeRekeySeconds) out.push(`${name}: CHILD rekey interval exceeds the IKE rekey interval`);
  }
  const a = clients.apple;
  if (a && (a.ikeRekeySeconds % MIN !== 0 || a.childRekeySeconds % MIN !== 0)) out.push("apple: lifetimes must be whole minutes");
  if (a && (a.ikeRekeySeconds / MIN >= 1440 || a.childRekeySeconds / MIN < 10))
    out.push("apple: LifeTimeInMinutes must be 10..1439 (macOS drops the tunnel at an IKE rekey at 1440)");
  return out;
}

function serverConf(extra: Record<string, unknown> = {}): string {
  const c = validateConfig({ ...BASE, ...extra });
  return renderRegion({ config: c, region: c.regions[0], passwords: { ...PASSWORDS } }).files.find((f) => f.path === PATHS.swanctlConf)!.content;
}

/** The values of `key` inside every section named by `section` (e.g. children sections), in order. */
function settingValues(conf: string, key: string, indent: number): string[] {
  const re = new RegExp(`^ {${indent}}${key} = (.*)$`, "gm");
  return [...conf.matchAll(re)].map((m) => m[1]);
}

describe("rekey policy", () => {
  it("is consistent: every client rekeys its CHILD_SA before the server's hard lifetime, Apple stays below 1440 minutes", () => {
    assert.deepEqual(policyProblems(), []);
  });

  it("the check can fail: a client rekeying after the hard lifetime, or Apple at 1440 minutes, is reported", () => {
    const late = { ...CLIENT_LIFETIMES, windows: { ...CLIENT_LIFETIMES.windows, childRekeySeconds: SERVER_LIFETIMES.childLifeSeconds } };
    assert.match(policyProblems(SERVER_LIFETIMES, late).join("\n"), /windows: CHILD rekey interval/);
    const apple = { ...CLIENT_LIFETIMES, apple: { ...CLIENT_LIFETIMES.apple, ikeRekeySeconds: 1440 * 60 } };
    assert.match(policyProblems(SERVER_LIFETIMES, apple).join("\n"), /apple: LifeTimeInMinutes/);
  });

  it("the server never initiates a rekey: rekey_time 0 for IKE and CHILD, no reauthentication, a hard CHILD lifetime, DPD on", () => {
    for (const extra of [{}, { "vpn:users": ["alice", { name: "bob", staticIpv4: "10.47.83.50" }] }, { "vpn:compat": "legacy" }]) {
      const conf = serverConf(extra);
      // IKE level (4 spaces) and CHILD level (8 spaces), once per connection.
      const ikeRekey = settingValues(conf, "rekey_time", 4);
      assert.ok(ikeRekey.length >= 1 && ikeRekey.every((v) => v === "0s"), `IKE rekey_time: ${ikeRekey}`);
      assert.deepEqual(new Set(settingValues(conf, "reauth_time", 4)), new Set(["0s"]));
      assert.deepEqual(new Set(settingValues(conf, "dpd_delay", 4)), new Set([swanDuration(SERVER_LIFETIMES.dpdDelaySeconds)]));
      const childRekey = settingValues(conf, "rekey_time", 8);
      assert.equal(childRekey.length, ikeRekey.length, "every connection's child has rekey_time");
      assert.ok(childRekey.every((v) => v === "0s"));
      assert.deepEqual(new Set(settingValues(conf, "life_time", 8)), new Set(["24h"]));
      assert.deepEqual(new Set(settingValues(conf, "rand_time", 8)), new Set(["0s"]));
      assert.deepEqual(new Set(settingValues(conf, "dpd_action", 8)), new Set(["clear"]));
      // Nothing that would make the server initiate: no other rekey/reauth times, no over_time.
      assert.doesNotMatch(conf, /rekey_time = (?!0s)/);
      assert.doesNotMatch(conf, /over_time|rekey_bytes|rekey_packets/);
    }
  });

  it("every profile carries the table's lifetimes where its format has them", () => {
    const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS });
    const set = profiles.alice["us-ord"];
    const ikev2 = parsePlist(set.apple).PayloadContent[0].IKEv2;
    assert.equal(ikev2.IKESecurityAssociationParameters.LifeTimeInMinutes * 60, CLIENT_LIFETIMES.apple.ikeRekeySeconds);
    assert.equal(ikev2.ChildSecurityAssociationParameters.LifeTimeInMinutes * 60, CLIENT_LIFETIMES.apple.childRekeySeconds);
    assert.equal(ikev2.EnablePFS, 1);
    assert.equal(ikev2.ChildSecurityAssociationParameters.DiffieHellmanGroup, 20, `PFS group ${CLIENT_LIFETIMES.apple.pfs}`);
    assert.match(set.linuxSwanctl, new RegExp(`^ {4}rekey_time = ${swanDuration(CLIENT_LIFETIMES.linuxSwanctl.ikeRekeySeconds)}$`, "m"));
    assert.match(set.linuxSwanctl, new RegExp(`^ {8}rekey_time = ${swanDuration(CLIENT_LIFETIMES.linuxSwanctl.childRekeySeconds)}$`, "m"));
    assert.match(set.linuxSwanctl, /^ {4}reauth_time = 0s$/m);
    // Formats without lifetime settings carry none (the table says so: setByProfile false).
    for (const k of ["windows", "android", "linuxNm"] as const) assert.equal(CLIENT_LIFETIMES[k].setByProfile, false, k);
    assert.doesNotMatch(set.windows, /lifetime|rekey/i);
    assert.doesNotMatch(set.linuxNm, /lifetime|rekey/i);
  });

  it("renders durations in swanctl syntax", () => {
    assert.equal(swanDuration(0), "0s");
    assert.equal(swanDuration(86400), "24h");
    assert.equal(swanDuration(90), "90s");
    assert.equal(swanDuration(120), "2m");
    assert.throws(() => swanDuration(-1));
  });
});
