// Client profiles against the rendered server: (a) a strongSwan client that uses the
// rendered Linux swanctl profile as is, and (b) clients configured with exactly the suites
// written into the rendered Apple, Windows and Android profiles (read back from the files,
// not from the proposal table). Each client also rekeys its CHILD_SA, so the PFS proposal
// of the profile is negotiated too. A profile whose suite the server refuses fails here.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { renderProfiles, Profiles } from "../../model/profiles";
import { swanctlConnectionName } from "../../model/profiles/linux";
import { plist } from "../../model/profiles/plist";
import { androidSuite, appleSuite, ReadSuite, windowsSuite } from "../lib/readback";
import { startCharon } from "../lib/charon";
import { connectClient, ClientSpec, VpnClient } from "../lib/client";
import { detectEspBackend } from "../lib/esp";
import { DNS_SERVERS, FixtureUser, HOSTNAME, POOL_V4, renderFixture, ZONE } from "../lib/fixture";
import { createTopology, NET, Topology } from "../lib/netns";
import { createPki, TestPki } from "../lib/pki";
import { startServer, VpnServer } from "../lib/server";
import { swanctl, swanctlOk } from "../lib/swanctl";
import { waitFor } from "../lib/wait";

/** A single-quoted POSIX shell word. */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const USERS: FixtureUser[] = [
  { name: "alice", password: `pa'ss "w0rd" \\ #;$x`, staticIpv4: "10.47.83.50" },
  { name: "bob", password: "bob-s3cret-passw0rd" },
];

/** The profiles for the fixture's stack config (same raw keys as renderFixture). */
function fixtureProfiles(): Profiles {
  const config = validateConfig({
    "vpn:zone": ZONE,
    "vpn:hostname": HOSTNAME,
    "vpn:users": USERS.map((u) => (u.staticIpv4 ? { name: u.name, staticIpv4: u.staticIpv4 } : u.name)),
    "vpn:passwords": Object.fromEntries(USERS.map((u) => [u.name, u.password])),
    "vpn:dnsServers": [...DNS_SERVERS],
    "vpn:poolV4": POOL_V4,
  });
  return renderProfiles({ stack: "e2e", config, passwords: config.passwords });
}

/**
 * A client whose charon resolves the server's hostname through a private /etc/hosts
 * (bind-mounted in charon's own mount namespace, as the harness does for resolvconf),
 * so the rendered profile's `remote_addrs = <hostname>` works unchanged.
 */
class HostnameClient extends VpnClient {
  async start(): Promise<void> {
    const hosts = join(this.dir, "hosts");
    writeFileSync(hosts, `127.0.0.1 localhost\n${NET.serverV4} ${HOSTNAME}\n${NET.serverV6} ${HOSTNAME}\n`);
    const resolvconf = (this as unknown as { resolvconfShadow(): string | undefined }).resolvconfShadow();
    const setup = [resolvconf, `mount --bind ${shQuote(hosts)} /etc/hosts`].filter(Boolean).join(" && ");
    this.charon = await startCharon(this.ns, this, undefined, setup);
    await swanctlOk(this, ["--load-all", "--noprompt"]);
  }
}

/** Rekeys the client's CHILD_SA and waits for an installed CHILD_SA that used the PFS group. */
async function rekeyWithPfs(client: VpnClient, child: string, dhGroup: string): Promise<void> {
  const before = await client.ikeSa();
  assert.ok(before?.children.length && before.children.every((c) => c.dhGroup === undefined), "the first CHILD_SA (IKE_AUTH) has no key exchange");
  const res = await swanctl(client, ["--rekey", "--child", child], 15_000);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  await waitFor(
    async () => {
      const sa = await client.ikeSa();
      return sa?.children.some((c) => c.state === "INSTALLED" && c.dhGroup === dhGroup) ?? false;
    },
    { timeoutMs: 15_000, what: `a CHILD_SA rekeyed with ${dhGroup}\n${client.log().slice(-3000)}` },
  );
}

/** strongSwan's name for a DH group as listed by swanctl (e.g. ecp384 -> ECP_384, curve25519 -> CURVE_25519). */
function viciDh(swan: string): string {
  const m = /^(curve|ecp|modp)(\d+)$/.exec(swan);
  assert.ok(m, swan);
  return `${m[1].toUpperCase()}_${m[2]}`;
}

describe("client profiles against the rendered server", () => {
  let topology: Topology;
  let pki: TestPki;
  let server: VpnServer;
  let profiles: Profiles;
  const clients: VpnClient[] = [];

  before(async () => {
    topology = await createTopology();
    pki = await createPki(join(topology.dir, "pki"), HOSTNAME);
    server = await startServer(topology, { files: renderFixture({ topology, pki, users: USERS }).files });
    profiles = fixtureProfiles();
  });

  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await server?.stop();
    await topology?.teardown();
  });

  it("(a) a strongSwan client connects with the Linux swanctl profile as is, as its static user", async () => {
    const region = Object.keys(profiles.alice)[0];
    const child = swanctlConnectionName(region);
    const spec: ClientSpec = {
      user: "alice",
      password: USERS[0].password,
      swanctlConf: profiles.alice[region].linuxSwanctl,
      childName: child,
      trustedRootPem: pki.rootPem,
    };
    const host = await topology.addClientHost();
    const client = new HostnameClient(topology, host, join(topology.dir, "profile-client-swanctl"), spec, await detectEspBackend());
    clients.push(client);
    await client.start();
    await client.connectOrThrow();
    const sa = await client.ikeSa();
    assert.equal(sa?.localId, "alice");
    assert.equal(sa?.remoteId, HOSTNAME);
    assert.equal(client.vips.v4, "10.47.83.50", "static address by EAP identity");
    assert.ok(client.vips.v6, "an IPv6 address from the routed /64");
    await rekeyWithPfs(client, child, "CURVE_25519");
  });

  const cases: Array<{ platform: string; read: (p: Profiles) => { suite: ReadSuite; identity?: string; user: string; password?: string } }> = [
    {
      platform: "Apple .mobileconfig",
      read: (p) => {
        const parsed = plist.parse(p.bob[Object.keys(p.bob)[0]].apple) as any;
        const ikev2 = parsed.PayloadContent[0].IKEv2;
        return { suite: appleSuite(ikev2), identity: ikev2.LocalIdentifier, user: ikev2.AuthName };
      },
    },
    {
      // Stock Windows sends its IP address as IKE identity: no `identity`.
      platform: "Windows PowerShell",
      read: (p) => ({ suite: windowsSuite(p.bob[Object.keys(p.bob)[0]].windows), user: "bob" }),
    },
    {
      // The app uses the EAP identity as IKE identity for ikev2-eap.
      platform: "Android .sswan",
      read: (p) => {
        const json = JSON.parse(p.bob[Object.keys(p.bob)[0]].android);
        // The password the app reads from the file (local.shared_secret): connecting with it proves it is right.
        return { suite: androidSuite(json), identity: json.local.eap_id, user: json.local.eap_id, password: json.local.shared_secret };
      },
    },
  ];

  for (const c of cases) {
    it(`(b) a client with exactly the ${c.platform} suite connects and rekeys with its PFS group`, async () => {
      const read = c.read(profiles);
      const { suite, identity, user } = read;
      const password = read.password ?? USERS.find((u) => u.name === user)!.password;
      // The PFS proposal: strongSwan drops its DH group for the first CHILD_SA (IKE_AUTH), as the devices do.
      const client = await connectClient(topology, { user, password, identity, ike: suite.ike, esp: suite.espPfs ?? suite.esp, trustedRootPem: pki.rootPem });
      clients.push(client);
      const sa = await client.ikeSa();
      assert.equal(sa?.remoteId, HOSTNAME);
      if (identity) assert.equal(sa?.localId, identity);
      if (suite.espPfs) await rekeyWithPfs(client, "vpn", viciDh(suite.espPfs.split("-").pop()!));
    });
  }

  it("control: a suite the server does not offer is refused (the checks above can fail)", async () => {
    const r = await connectClient(topology, {
      user: "bob",
      password: USERS[1].password,
      ike: "aes256-sha1-modp1024",
      esp: "aes256-sha1",
      trustedRootPem: pki.rootPem,
    }).then(
      (cl) => {
        clients.push(cl);
        return true;
      },
      () => false,
    );
    assert.equal(r, false);
  });
});
