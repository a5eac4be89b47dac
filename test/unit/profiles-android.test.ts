import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { androidSuite } from "../lib/readback";
import { GENERATED_PLACEHOLDER, SECRET_PLACEHOLDER } from "../../model/placeholders";
import { PASSWORDS, STACK, suiteAccepted, testConfig } from "./profiles-fixtures";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// The strongSwan app's proposal syntax: algorithm tokens joined by '-' (validated by the app on import).
const PROPOSAL_RE = /^[a-z0-9]+(-[a-z0-9]+)+$/;

describe("Android strongSwan .sswan", () => {
  const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS });

  it("an offline render's password placeholder is not written as the password (the app would keep it)", () => {
    for (const placeholder of [GENERATED_PLACEHOLDER, SECRET_PLACEHOLDER]) {
      const offline = renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: placeholder } });
      assert.deepEqual(JSON.parse(offline.alice["us-ord"].android).local, { eap_id: "alice" });
    }
  });

  it("is JSON with the fields the app requires and reads", () => {
    const p = JSON.parse(profiles.alice["us-ord"].android);
    assert.match(p.uuid, UUID_RE);
    assert.equal(p.name, "vpn.example.com");
    assert.equal(p.type, "ikev2-eap");
    assert.deepEqual(p.remote, { addr: "vpn.example.com", id: "vpn.example.com" });
    // The app takes its IKE identity from eap_id for ikev2-eap; shared_secret is the EAP
    // password (app 2.5.3+, docs.strongswan.org "Android VPN client profiles").
    assert.deepEqual(p.local, { eap_id: "alice", shared_secret: PASSWORDS.alice });
    assert.match(p["ike-proposal"], PROPOSAL_RE);
    assert.match(p["esp-proposal"], PROPOSAL_RE);
    // Nothing leaks around the tunnel: traffic of either family outside it is blocked.
    assert.deepEqual(p["split-tunneling"], { "block-ipv4": true, "block-ipv6": true });
    // The server's pushed DNS servers are used; the profile does not override them.
    assert.equal(p["dns-servers"], undefined);
    // No lifetime keys exist in the format: the app rekeys by itself (model/rekey.ts).
    assert.deepEqual(
      Object.keys(p).filter((k) => /life|rekey/i.test(k)),
      [],
    );
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

  it("carries any password exactly through JSON escaping", () => {
    const password = `pa'ss "w0rd" \\ #;$x\u00e9`;
    const p = JSON.parse(renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: password } }).alice["us-ord"].android);
    assert.equal(p.local.shared_secret, password);
  });
});
