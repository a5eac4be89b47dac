// The most hostile user names and passwords that validation allows still log
// in: proof that the render escapes them (names as quoted swanctl strings,
// secrets as hex) and that strongSwan reads them back byte for byte. The client
// config is written by the harness with its own quoting, not the render's.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PASSWORD_RE, USER_NAME_RE, validateConfig } from "../../config/validate";
import { renderRegion } from "../../model/render";
import { FixtureUser, HOSTNAME, ZONE } from "../lib/fixture";
import { createVpn, Vpn } from "../lib/vpn";

const HOSTILE: FixtureUser[] = [
  // Looks like a hex secret / base64 secret to swanctl if it were ever unquoted.
  { name: "0x41", password: `0x41424344 "dq" \\bs\\ #hash {brace} 'sq'` },
  { name: "0s41", password: "0sQUJDRA== %any ${HOME} $(id) `id`;|&<>" },
  // RFC 822-style identity; every printable ASCII character in the password.
  { name: "user@ex-ample.org", password: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ 09AZaz" },
  { name: "mixed.Case_Name+tag-1@b", password: `\\"\\\\"{}#=,` },
  // Digits and dots, but not an IPv4 address (those are refused, see below); with a static address.
  { name: "1.2.3.4.5", password: "{ secret = 0xdeadbeef }", staticIpv4: "10.47.83.60" },
  { name: "a", password: "p".repeat(128) },
  { name: "Z".repeat(64), password: `a #{}"\\ ' b` },
];

describe("hostile user names and passwords that validation allows", { timeout: 120_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    for (const u of HOSTILE) {
      assert.match(u.name, USER_NAME_RE);
      assert.match(u.password, PASSWORD_RE);
    }
    vpn = await createVpn({ users: HOSTILE });
  });

  after(async () => {
    await vpn?.teardown();
  });

  for (const u of HOSTILE) {
    it(`${JSON.stringify(u.name)} logs in with ${JSON.stringify(u.password.length > 40 ? `${u.password.slice(0, 40)}...` : u.password)}`, async () => {
      for (const identity of [u.name, undefined]) {
        const c = await vpn.connect({ user: u.name, password: u.password, identity });
        const srv = (await vpn.server.listSas()).find((s) => s.remoteHost === c.host.v4);
        assert.equal(srv?.remoteUser, u.name, "the server knows the user by exactly this name");
        if (u.staticIpv4) assert.equal(c.vips.v4, u.staticIpv4);
        else assert.ok(c.vips.v4);
        await vpn.drop(c);
      }
    });
  }

  it("the same names with a wrong password are refused (the passwords above really were checked)", async () => {
    const c = await vpn.client({ user: HOSTILE[0].name, password: HOSTILE[2].password });
    assert.equal((await c.connect()).ok, false);
    await vpn.drop(c);
  });

  it("why validation refuses dotted-quad user names: strongSwan can never authenticate one", async () => {
    const name = "10.0.0.1";
    assert.doesNotMatch(name, USER_NAME_RE);
    // Render it anyway, bypassing validation.
    const password = "dotted-quad-passw0rd";
    const config = validateConfig({ "vpn:zone": ZONE, "vpn:hostname": HOSTNAME, "vpn:users": ["placeholder"] });
    const files = renderRegion({
      config: { ...config, users: [{ name }] },
      region: config.regions[0],
      addresses: vpn.topology.regionAddresses,
      passwords: { [name]: password },
      certificate: vpn.pki.certificate,
    }).files;
    await vpn.server.reload(files);
    // "@" makes the client send the name as text, as a device would.
    const c = await vpn.client({ user: `@${name}`, password });
    const r = await c.connect();
    assert.equal(r.ok, false, "if this ever connects, USER_NAME_RE can allow dotted quads again");
    assert.match(vpn.server.log(), /EAP-MS-CHAPv2 verification failed/);
    await vpn.drop(c);
  });
});
