// Users log in to the rendered server: addresses from both pools, pushed DNS,
// refusals for bad credentials, one user on two devices, a certificate the
// client does not trust.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cidrContains, parseCidr, parseIp, Cidr } from "../../model/net";
import { ipv6Pool } from "../../model/addresses";
import { DNS_SERVERS, FixtureUser, HOSTNAME, POOL_V4 } from "../lib/fixture";
import { NET } from "../lib/netns";
import { createPki } from "../lib/pki";
import { createVpn, Vpn } from "../lib/vpn";

const USERS: FixtureUser[] = [
  { name: "alice", password: "correct horse battery staple" },
  { name: "bob", password: "bob-S3cret-passphrase" },
];

function inCidr(cidr: string, ip: string | undefined): boolean {
  const c = parseCidr(cidr) as Cidr;
  const a = ip === undefined ? undefined : parseIp(ip);
  return a !== undefined && cidrContains(c, a.family, a.value);
}

const POOL_V6 = ipv6Pool(NET.routedV6);

describe("users connect with username and password", { timeout: 120_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    vpn = await createVpn({ users: USERS, whoami: true });
  });

  after(async () => {
    await vpn?.teardown();
  });

  for (const user of USERS) {
    it(`${user.name} gets an IPv4 address from the pool, an IPv6 address from the routed range, and the pushed DNS servers`, async () => {
      const c = await vpn.client({ user: user.name, password: user.password });
      const r = await c.connectOrThrow();
      // The certificate chain makes IKE_AUTH too big for one datagram: fragmentation = yes at work.
      assert.match(r.output, /reassembled fragmented IKE message/);
      assert.ok(inCidr(POOL_V4, c.vips.v4), `IPv4 ${c.vips.v4} in ${POOL_V4}`);
      assert.ok(inCidr(POOL_V6, c.vips.v6), `IPv6 ${c.vips.v6} in ${POOL_V6} (a slice of ${NET.routedV6})`);
      assert.deepEqual(c.dns().sort(), [...DNS_SERVERS].sort());
      const sa = await c.ikeSa();
      assert.equal(sa?.remoteId, HOSTNAME, "the server authenticated as its hostname");
      // The server sees the user by EAP identity and keeps the lease under it.
      const srv = (await vpn.server.listSas()).find((s) => s.remoteHost === c.host.v4);
      assert.equal(srv?.remoteUser, user.name);
      assert.deepEqual([...(srv?.remoteVips ?? [])].sort(), [c.vips.v4, c.vips.v6].sort());
      await vpn.drop(c);
    });
  }

  for (const [what, user, password] of [
    ["a wrong password", "alice", "not-alices-password"],
    ["an unknown user", "mallory", "whatever-she-tries"],
  ] as const) {
    it(`${what} is refused quickly with an authentication failure`, async () => {
      const c = await vpn.client({ user, password });
      const r = await c.connect();
      assert.equal(r.ok, false, "the tunnel must not come up");
      assert.match(r.output, /EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE/);
      assert.match(r.output, /EAP_MSCHAPV2 method failed/);
      // strongSwan answers a failed MSCHAPv2 response after a fixed 2 s delay (brute-force brake).
      assert.ok(r.ms < 8000, `refused after ${r.ms} ms`);
      assert.equal(await c.ikeSa(), undefined, "no SA left on the client");
      const established = (await vpn.server.listSas()).filter((s) => s.remoteHost === c.host.v4 && s.state === "ESTABLISHED");
      assert.deepEqual(established, [], "no SA established on the server");
      await vpn.drop(c);
    });
  }

  it("one user on two devices at once: both stay up, each with its own addresses and traffic", async () => {
    const phone = await vpn.connect({ user: "bob", password: USERS[1].password, identity: "bob" });
    const laptop = await vpn.connect({ user: "bob", password: USERS[1].password });
    assert.notEqual(phone.vips.v4, laptop.vips.v4);
    assert.notEqual(phone.vips.v6, laptop.vips.v6);
    const bobs = (await vpn.server.listSas()).filter((s) => s.remoteUser === "bob" && s.state === "ESTABLISHED");
    assert.equal(bobs.length, 2, "unique = never keeps both IKE_SAs");
    for (const dev of [phone, laptop]) {
      await vpn.assertReaches(dev.ns, NET.upstreamV6, dev.vips.v6);
      await vpn.assertReaches(dev.ns, NET.upstreamV4, NET.serverUpV4);
    }
    await vpn.drop(phone);
    await vpn.drop(laptop);
  });

  it("a client that does not trust the server's root refuses the server (the certificate check is real)", async () => {
    const other = await createPki(`${vpn.topology.dir}/other-pki`, HOSTNAME);
    const c = await vpn.client({ user: "alice", password: USERS[0].password, trustedRootPem: other.rootPem });
    const r = await c.connect();
    assert.equal(r.ok, false);
    assert.match(r.output, /no trusted RSA public key found for 'vpn\.e2e\.example\.test'|constraint check failed/);
    await vpn.drop(c);
  });
});
