import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { clientEspString, clientIkeString, CLIENT_SUITES } from "../../model/proposals";
import { glibUnescape, HOSTILE_PASSWORDS, parseIni, PASSWORDS, STACK, suiteAccepted, testConfig } from "./profiles-fixtures";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function render(password = PASSWORDS.alice) {
  return renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: password } }).alice["us-ord"];
}

/** Reads swanctl.conf-style `key = value` lines inside `section { ... }` blocks into dotted keys. */
function swanctlSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const path: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([A-Za-z0-9_-]+) \{$/.exec(line))) path.push(m[1]);
    else if (line === "}") assert.ok(path.pop() !== undefined, "unbalanced }");
    else if ((m = /^([a-z_]+) = (.*)$/.exec(line))) {
      let v = m[2];
      if (v.startsWith('"')) {
        assert.match(v, /^"(?:[^"\\]|\\.)*"$/, `badly quoted value ${v}`);
        v = v.slice(1, -1).replace(/\\(.)/g, "$1");
      }
      out[[...path, m[1]].join(".")] = v;
    } else assert.fail(`unparsable line: ${line}`);
  }
  assert.equal(path.length, 0, "unbalanced {");
  return out;
}

describe("NetworkManager keyfile", () => {
  it("parses as INI with the strongSwan plugin's keys", () => {
    const ini = parseIni(render().linuxNm);
    assert.deepEqual(Object.keys(ini), ["connection", "vpn", "vpn-secrets", "ipv4", "ipv6"]);
    assert.equal(ini.connection.type, "vpn");
    assert.equal(ini.connection.id, "vpn.example.com");
    assert.match(ini.connection.uuid, UUID_RE);
    const vpn = ini.vpn;
    assert.equal(vpn["service-type"], "org.freedesktop.NetworkManager.strongswan");
    assert.equal(vpn.address, "vpn.example.com");
    assert.equal(vpn["remote-identity"], "vpn.example.com");
    assert.equal(vpn.method, "eap");
    assert.equal(vpn.user, "alice");
    assert.equal(vpn["local-identity"], "alice");
    assert.equal(vpn.virtual, "yes");
    assert.equal(vpn.encap, "yes");
    assert.equal(vpn.proposal, "yes");
    assert.equal(vpn["password-flags"], "0");
    assert.equal(vpn.certificate, undefined, "no pinned CA: the system store is used");
    assert.equal(glibUnescape(ini["vpn-secrets"].password), PASSWORDS.alice);
    assert.ok(Number(ini.ipv4["dns-priority"]) < 0 && Number(ini.ipv6["dns-priority"]) < 0);
    const suite = { ike: vpn.ike, esp: clientEspString(CLIENT_SUITES.strongswan, false), espPfs: vpn.esp };
    assert.equal(vpn.ike, clientIkeString(CLIENT_SUITES.strongswan));
    assert.ok(suiteAccepted(suite));
  });

  it("round-trips hostile passwords through GLib escaping", () => {
    for (const pw of [...HOSTILE_PASSWORDS, " leading space", "trailing\\", "tab\there"]) {
      const ini = parseIni(render(pw).linuxNm);
      assert.equal(glibUnescape(ini["vpn-secrets"].password), pw);
    }
  });
});

describe("swanctl client config", () => {
  it("configures a full-tunnel EAP client that authenticates the server by hostname", () => {
    const s = swanctlSettings(render().linuxSwanctl);
    const c = "connections.vpn-us-ord";
    assert.equal(s[`${c}.version`], "2");
    assert.equal(s[`${c}.remote_addrs`], "vpn.example.com");
    assert.equal(s[`${c}.vips`], "0.0.0.0, ::");
    assert.equal(s[`${c}.local.auth`], "eap-mschapv2");
    assert.equal(s[`${c}.local.id`], "alice");
    assert.equal(s[`${c}.local.eap_id`], "alice");
    assert.equal(s[`${c}.remote.auth`], "pubkey");
    assert.equal(s[`${c}.remote.id`], "vpn.example.com");
    assert.equal(s[`${c}.children.vpn-us-ord.remote_ts`], "0.0.0.0/0, ::/0");
    assert.equal(s["secrets.eap-vpn-us-ord.id"], "alice");
    const suite = { ike: s[`${c}.proposals`], esp: clientEspString(CLIENT_SUITES.strongswan, false), espPfs: s[`${c}.children.vpn-us-ord.esp_proposals`] };
    assert.ok(suiteAccepted(suite), JSON.stringify(suite));
  });

  it("stores the password as hex, so no character of it can end the value", () => {
    for (const pw of HOSTILE_PASSWORDS) {
      const s = swanctlSettings(render(pw).linuxSwanctl);
      const secret = s["secrets.eap-vpn-us-ord.secret"];
      assert.match(secret, /^0x[0-9a-f]+$/);
      assert.equal(Buffer.from(secret.slice(2), "hex").toString("utf8"), pw);
    }
  });

  it("names connections per region, so several regions' files can sit side by side in conf.d", () => {
    const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS });
    const names = Object.values(profiles.alice).map((set) => Object.keys(swanctlSettings(set.linuxSwanctl)).find((k) => k.endsWith(".version")));
    assert.deepEqual(names, ["connections.vpn-us-ord.version", "connections.vpn-eu-central.version"]);
  });
});
