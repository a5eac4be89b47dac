// Clients proposing what real devices propose, against the server's proposal
// table (model/proposals.ts): in modern mode everyone but stock Windows gets in
// and stock Windows is refused; vpn:compat = legacy (applied by a live reload)
// lets stock Windows in too, without locking anyone else out.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLIENT_SUITES, clientEspString, clientIkeString } from "../../model/proposals";
import { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import { createVpn, Vpn } from "../lib/vpn";

const USER: FixtureUser = { name: "pat", password: "proposal-tester-passw0rd" };

interface Emulated {
  client: string;
  ike: string;
  esp: string;
  /** IKE identity: our profiles and Apple/Android send the user name; Windows its IP address. */
  identity?: string;
  /** Accepted by a server in modern mode. */
  modern: boolean;
  /** Key exchange the server must pick (strongSwan's name). */
  dh: string;
}

const STOCK_WINDOWS_IKE = "3des-aes128-aes192-aes256-sha1-sha256-sha384-modp1024";
const STOCK_WINDOWS_ESP = "aes256-aes128-3des-sha1";

const CLIENTS: Emulated[] = [
  { client: "stock Windows 10", ike: STOCK_WINDOWS_IKE, esp: STOCK_WINDOWS_ESP, modern: false, dh: "MODP_1024" },
  // Windows 11 adds AES-GCM, still only with modp1024.
  {
    client: "stock Windows 11",
    ike: `${STOCK_WINDOWS_IKE}, aes128gcm16-aes256gcm16-prfsha256-prfsha384-modp1024`,
    esp: `aes256gcm16-aes128gcm16, ${STOCK_WINDOWS_ESP}`,
    modern: false,
    dh: "MODP_1024",
  },
  {
    client: "Windows with our PowerShell profile",
    ike: clientIkeString(CLIENT_SUITES.windows),
    esp: clientEspString(CLIENT_SUITES.windows),
    modern: true,
    dh: "ECP_384",
  },
  { client: "iOS/macOS defaults", ike: "aes256-sha256-modp2048", esp: "aes256-sha256", identity: USER.name, modern: true, dh: "MODP_2048" },
  {
    client: "iOS/macOS with our profile",
    ike: clientIkeString(CLIENT_SUITES.apple),
    esp: clientEspString(CLIENT_SUITES.apple),
    identity: USER.name,
    modern: true,
    dh: "ECP_384",
  },
  { client: "the Android strongSwan app (strongSwan defaults)", ike: "default", esp: "default", identity: USER.name, modern: true, dh: "CURVE_25519" },
  {
    client: "our Linux profile",
    ike: clientIkeString(CLIENT_SUITES.strongswan),
    esp: clientEspString(CLIENT_SUITES.strongswan),
    identity: USER.name,
    modern: true,
    dh: "CURVE_25519",
  },
];

describe("client proposal sets", { timeout: 180_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    vpn = await createVpn({ users: [USER], compat: "modern", whoami: true });
  });

  after(async () => {
    await vpn?.teardown();
  });

  async function expectConnects(c: Emulated): Promise<void> {
    const client = await vpn.connect({ user: USER.name, password: USER.password, ike: c.ike, esp: c.esp, identity: c.identity });
    try {
      const sa = await client.ikeSa();
      assert.equal(sa?.dhGroup, c.dh, `IKE key exchange chosen for ${c.client}`);
      assert.equal(sa?.children[0]?.state, "INSTALLED");
      // The tunnel carries traffic with this suite (NATed IPv4 to the upstream).
      await vpn.assertReaches(client.ns, NET.upstreamV4, NET.serverUpV4);
    } finally {
      await vpn.drop(client);
    }
  }

  describe("modern mode (the default)", () => {
    for (const c of CLIENTS.filter((x) => x.modern)) {
      it(`${c.client} connects`, () => expectConnects(c));
    }
    for (const c of CLIENTS.filter((x) => !x.modern)) {
      it(`${c.client} is refused: no proposal chosen`, async () => {
        const client = await vpn.client({ user: USER.name, password: USER.password, ike: c.ike, esp: c.esp, identity: c.identity });
        const r = await client.connect();
        assert.equal(r.ok, false);
        assert.match(r.output, /NO_PROPOSAL_CHOSEN/);
        await vpn.drop(client);
      });
    }
  });

  describe("legacy mode (vpn:compat = legacy, applied by a live reload)", () => {
    before(async () => {
      await vpn.rerender({ users: [USER], compat: "legacy" });
    });
    for (const c of CLIENTS) {
      it(`${c.client} connects`, () => expectConnects(c));
    }
  });
});
