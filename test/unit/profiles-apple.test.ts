import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { CAPTIVE_PROBE_URL } from "../../model/profiles/settings";
import { appleSuite } from "../lib/readback";
import { appleLifetimeMinutes } from "../../model/rekey";
import { HOSTILE_PASSWORDS, parsePlist, PASSWORDS, STACK, suiteAccepted, testConfig } from "./profiles-fixtures";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function appleOf(config = testConfig(), passwords = PASSWORDS, user = "alice", stack = STACK) {
  const profiles = renderProfiles({ stack, config, passwords });
  return { xml: profiles[user]["us-ord"].apple, profiles, parsed: parsePlist(profiles[user]["us-ord"].apple) };
}

describe("Apple .mobileconfig", () => {
  it("is one profile per user with one IKEv2 payload per region, identical under every region key", () => {
    const { profiles, parsed } = appleOf();
    assert.equal(profiles.alice["us-ord"].apple, profiles.alice["eu-central"].apple);
    assert.notEqual(profiles.alice["us-ord"].apple, profiles.bob["us-ord"].apple);
    assert.equal(parsed.PayloadType, "Configuration");
    assert.equal(parsed.PayloadVersion, 1);
    assert.equal(parsed.PayloadRemovalDisallowed, false);
    assert.match(parsed.PayloadUUID, UUID_RE);
    assert.equal(parsed.PayloadIdentifier, "com.example.vpn.dev.alice");
    assert.deepEqual(
      parsed.PayloadContent.map((p: any) => [p.PayloadType, p.VPNType, p.IKEv2.RemoteAddress]),
      [
        ["com.apple.vpn.managed", "IKEv2", "vpn.example.com"],
        ["com.apple.vpn.managed", "IKEv2", "de.vpn.example.com"],
      ],
    );
  });

  it("authenticates the server by hostname and the user by EAP with the user name as IKE identity", () => {
    const { parsed } = appleOf();
    for (const [i, host] of ["vpn.example.com", "de.vpn.example.com"].entries()) {
      const p = parsed.PayloadContent[i];
      assert.equal(p.UserDefinedName, host);
      const k = p.IKEv2;
      assert.equal(k.RemoteAddress, host);
      assert.equal(k.RemoteIdentifier, host);
      assert.equal(k.LocalIdentifier, "alice");
      assert.equal(k.AuthenticationMethod, "None");
      assert.equal(k.ExtendedAuthEnabled, 1);
      assert.equal(k.AuthName, "alice");
      assert.equal(k.AuthPassword, PASSWORDS.alice);
    }
  });

  it("carries SA parameters the server accepts, lifetimes under 1440 minutes and PFS consistent with the child DH group", () => {
    const k = appleOf().parsed.PayloadContent[0].IKEv2;
    const ike = k.IKESecurityAssociationParameters;
    const child = k.ChildSecurityAssociationParameters;
    assert.ok(["AES-128", "AES-256", "AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"].includes(ike.EncryptionAlgorithm));
    assert.ok(["SHA2-256", "SHA2-384", "SHA2-512"].includes(ike.IntegrityAlgorithm));
    assert.ok(Number.isInteger(ike.DiffieHellmanGroup) && ike.DiffieHellmanGroup >= 14, "always-on needs DH >= 14");
    assert.ok(ike.LifeTimeInMinutes >= 10 && ike.LifeTimeInMinutes < 1440);
    assert.ok(child.LifeTimeInMinutes >= 10 && child.LifeTimeInMinutes < ike.LifeTimeInMinutes);
    assert.equal(k.EnablePFS, 1);
    assert.ok(child.DiffieHellmanGroup >= 14);
    const suite = appleSuite(k);
    assert.deepEqual(suite, { ike: "aes256gcm16-prfsha384-ecp384", esp: "aes256gcm16", espPfs: "aes256gcm16-ecp384" });
    assert.ok(suiteAccepted(suite), `server refuses ${JSON.stringify(suite)}`);
  });

  it("sets DPD and an MTU in Apple's range, and no Always-On-only keys", () => {
    const k = appleOf().parsed.PayloadContent[0].IKEv2;
    assert.ok(["Low", "Medium", "High"].includes(k.DeadPeerDetectionRate));
    // Apple's schema documents both for Always On VPN IKEv2 connections only.
    assert.equal(k.NATKeepAliveOffloadEnable, undefined);
    assert.equal(k.NATKeepAliveInterval, undefined);
    assert.ok(k.MTU >= 1280 && k.MTU <= 1400);
    assert.equal(k.DisableMOBIKE, 0);
  });

  it("kill switch: off by default (no IncludeAllNetworks), on with vpn:appleKillSwitch and its companions", () => {
    const off = appleOf().parsed.PayloadContent[0].IKEv2;
    for (const key of ["IncludeAllNetworks", "ExcludeLocalNetworks", "ExcludeCellularServices", "ExcludeAPNs", "ExcludeDeviceCommunication"])
      assert.equal(off[key], undefined, key);
    const on = appleOf(testConfig({ appleKillSwitch: true })).parsed.PayloadContent[0].IKEv2;
    assert.equal(on.IncludeAllNetworks, 1);
    assert.equal(on.ExcludeLocalNetworks, 1);
    assert.equal(on.ExcludeCellularServices, 1);
    assert.equal(on.ExcludeAPNs, 1);
    assert.equal(on.ExcludeDeviceCommunication, 1);
  });

  it("takes its lifetimes from the rekey policy, below 1440 minutes, child below IKE", () => {
    const k = appleOf().parsed.PayloadContent[0].IKEv2;
    const life = appleLifetimeMinutes();
    assert.equal(k.IKESecurityAssociationParameters.LifeTimeInMinutes, life.ike);
    assert.equal(k.ChildSecurityAssociationParameters.LifeTimeInMinutes, life.child);
    assert.ok(life.ike < 1440 && life.child < life.ike);
  });

  it("On-Demand off: no rules", () => {
    const k = appleOf(testConfig({ onDemand: "off" })).parsed.PayloadContent[0].IKEv2;
    assert.equal(k.OnDemandEnabled, 0);
    assert.equal(k.OnDemandRules, undefined);
  });

  for (const mode of ["always", "untrusted-wifi"] as const) {
    it(`On-Demand ${mode}: every Connect rule needs the captive-portal probe, the user can switch it off, the last rule is Ignore`, () => {
      const k = appleOf(testConfig({ onDemand: mode, trustedSsids: mode === "untrusted-wifi" ? ["Home", "Büro 5 GHz"] : [] })).parsed.PayloadContent[0].IKEv2;
      assert.equal(k.OnDemandEnabled, 1);
      assert.equal(k.OnDemandUserOverrideDisabled, 0);
      const rules: any[] = k.OnDemandRules;
      assert.ok(rules.length >= 2);
      for (const r of rules) assert.ok(["Connect", "Disconnect", "Ignore"].includes(r.Action));
      const connects = rules.filter((r) => r.Action === "Connect");
      assert.ok(connects.length >= 1);
      for (const r of connects) assert.equal(r.URLStringProbe, CAPTIVE_PROBE_URL);
      assert.deepEqual(rules[rules.length - 1], { Action: "Ignore" });
      if (mode === "untrusted-wifi") {
        assert.deepEqual(rules[0], { InterfaceTypeMatch: "WiFi", SSIDMatch: ["Home", "Büro 5 GHz"], Action: "Disconnect" });
        assert.equal(connects[0].InterfaceTypeMatch, "WiFi");
      } else {
        assert.equal(connects[0].InterfaceTypeMatch, undefined);
      }
    });
  }

  it("derives PayloadUUIDs from stack, region and user: stable, distinct, version 5", () => {
    const a = appleOf().parsed;
    const again = appleOf().parsed;
    const otherStack = appleOf(testConfig(), PASSWORDS, "alice", "prod").parsed;
    const bob = appleOf(testConfig(), PASSWORDS, "bob").parsed;
    const ids = (p: any) => [p.PayloadUUID, ...p.PayloadContent.map((c: any) => c.PayloadUUID)];
    assert.deepEqual(ids(a), ids(again));
    const all = [...ids(a), ...ids(otherStack), ...ids(bob)];
    assert.equal(new Set(all).size, all.length);
    for (const id of all) assert.match(id, UUID_RE);
    // A password change must not re-key the profile (the device would install a duplicate).
    const changed = appleOf(testConfig(), { ...PASSWORDS, alice: "another password" }).parsed;
    assert.deepEqual(ids(changed), ids(a));
  });

  it("keeps hostile passwords and SSIDs intact through XML escaping", () => {
    for (const pw of HOSTILE_PASSWORDS) {
      const ssids = ["<ssid>&amp;", "]]>", "x'\"y"];
      const { parsed } = appleOf(testConfig({ onDemand: "untrusted-wifi", trustedSsids: ssids }), { ...PASSWORDS, alice: pw });
      assert.equal(parsed.PayloadContent[0].IKEv2.AuthPassword, pw);
      assert.deepEqual(parsed.PayloadContent[0].IKEv2.OnDemandRules[0].SSIDMatch, ssids);
    }
  });
});
