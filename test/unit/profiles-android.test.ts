import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { androidSuite } from "../../model/profiles/readback";
import { PASSWORDS, STACK, suiteAccepted, testConfig } from "./profiles-fixtures";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// The strongSwan app's proposal syntax: algorithm tokens joined by '-' (validated by the app on import).
const PROPOSAL_RE = /^[a-z0-9]+(-[a-z0-9]+)+$/;

describe("Android strongSwan .sswan", () => {
  const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS });

  it("is JSON with the fields the app requires and reads", () => {
    const p = JSON.parse(profiles.alice["us-ord"].android);
    assert.match(p.uuid, UUID_RE);
    assert.equal(p.name, "vpn.example.com");
    assert.equal(p.type, "ikev2-eap");
    assert.deepEqual(p.remote, { addr: "vpn.example.com", id: "vpn.example.com" });
    // The app takes its IKE identity from eap_id for ikev2-eap; no password field exists.
    assert.deepEqual(p.local, { eap_id: "alice" });
    assert.ok(!JSON.stringify(p).includes(PASSWORDS.alice), "no password in the .sswan");
    assert.match(p["ike-proposal"], PROPOSAL_RE);
    assert.match(p["esp-proposal"], PROPOSAL_RE);
    assert.deepEqual(p["dns-servers"], ["9.9.9.9", "2620:fe::fe"]);
    assert.ok(p.mtu >= 1280 && p.mtu <= 1500);
    assert.ok(p["nat-keepalive"] >= 10 && p["nat-keepalive"] <= 120);
    assert.equal(p.remote.cert, undefined, "a public CA needs no pinned certificate");
  });

  it("proposes a suite the server accepts, with PFS on rekey", () => {
    const suite = androidSuite(JSON.parse(profiles.bob["eu-central"].android));
    assert.deepEqual(suite, { ike: "aes256gcm16-prfsha384-curve25519", esp: "aes256gcm16", espPfs: "aes256gcm16-curve25519" });
    assert.ok(suiteAccepted(suite));
  });

  it("has a stable uuid per stack, region and user (re-import replaces the profile)", () => {
    const again = renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: "changed password" } });
    const other = renderProfiles({ stack: "prod", config: testConfig(), passwords: PASSWORDS });
    const uuid = (p: typeof profiles, u: string, r: string) => JSON.parse(p[u][r].android).uuid;
    assert.equal(uuid(again, "alice", "us-ord"), uuid(profiles, "alice", "us-ord"));
    const all = [uuid(profiles, "alice", "us-ord"), uuid(profiles, "alice", "eu-central"), uuid(profiles, "bob", "us-ord"), uuid(other, "alice", "us-ord")];
    assert.equal(new Set(all).size, all.length);
  });

  it("keeps unusual user names intact through JSON", () => {
    const config = testConfig({ users: [{ name: 'a"b\\c' }] });
    const p = JSON.parse(renderProfiles({ stack: STACK, config, passwords: { 'a"b\\c': "pw123456" } })['a"b\\c']["us-ord"].android);
    assert.equal(p.local.eap_id, 'a"b\\c');
  });
});
