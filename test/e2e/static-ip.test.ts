// Users with vpn:users[].staticIpv4 always get that address, whatever IKE
// identity their device sends: our profiles send the user name, stock Windows
// its IP address (the user is then known only after EAP; see the selector in
// model/server/swanctl.ts). Nobody else ever gets a reserved address.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import { createVpn, Vpn } from "../lib/vpn";

const USERS: FixtureUser[] = [
  { name: "alice", password: "alice-dynamic-passw0rd" },
  { name: "bob", password: "bob-static-passw0rd", staticIpv4: "10.47.83.50" },
  { name: "carol", password: "carol-static-passw0rd", staticIpv4: "10.47.83.2" },
];
const RESERVED = USERS.filter((u) => u.staticIpv4).map((u) => u.staticIpv4!);

describe("static IPv4 addresses", { timeout: 120_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    vpn = await createVpn({ users: USERS, whoami: true });
  });

  after(async () => {
    await vpn?.teardown();
  });

  for (const u of USERS.filter((x) => x.staticIpv4)) {
    for (const [how, identity] of [
      ["its user name as IKE identity (our profiles)", u.name],
      ["its IP address as IKE identity (stock Windows)", undefined],
    ] as const) {
      it(`${u.name} gets ${u.staticIpv4} with ${how}, and it carries traffic`, async () => {
        const c = await vpn.connect({ user: u.name, password: u.password, identity });
        assert.equal(c.vips.v4, u.staticIpv4);
        assert.ok(c.vips.v6, "and an IPv6 address");
        await vpn.assertReaches(c.ns, NET.upstreamV6, c.vips.v6);
        await vpn.drop(c);
      });
    }
  }

  it("users without a static address never get a reserved one, with either kind of identity", async () => {
    // Several dynamic sessions at once, so the pool hands out more than its first address.
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await vpn.connect({ user: "alice", password: USERS[0].password, identity: i % 2 ? "alice" : undefined }));
    for (const s of sessions) assert.ok(s.vips.v4 && !RESERVED.includes(s.vips.v4), `alice got ${s.vips.v4}`);
    assert.equal(new Set(sessions.map((s) => s.vips.v4)).size, sessions.length, "distinct addresses");
    for (const s of sessions) await vpn.drop(s);
  });

  it("a reserved address is never handed out twice: a static user's second device gets no IPv4 address", async () => {
    const first = await vpn.connect({ user: "bob", password: USERS[1].password, identity: "bob" });
    const second = await vpn.connect({ user: "bob", password: USERS[1].password });
    assert.equal(first.vips.v4, "10.47.83.50");
    assert.equal(second.vips.v4, undefined, "documented limitation: one static address per user");
    assert.ok(second.vips.v6, "the second device still gets IPv6");
    await vpn.assertReaches(first.ns, NET.upstreamV4, NET.serverUpV4);
    await vpn.assertReaches(second.ns, NET.upstreamV6, second.vips.v6);
    await vpn.drop(second);
    await vpn.drop(first);
  });

  it("a static user added by a live reload gets the address at once; connected users stay up", async () => {
    const alice = await vpn.connect({ user: "alice", password: USERS[0].password });
    const before = (await vpn.server.listSas()).find((s) => s.remoteHost === alice.host.v4)!;
    const dave: FixtureUser = { name: "dave", password: "dave-static-passw0rd", staticIpv4: "10.47.83.200" };
    await vpn.rerender({ users: [...USERS, dave] });
    // A connection added by a reload is listed after the loaded ones: only its rank puts it before `rw`.
    const d = await vpn.connect({ user: dave.name, password: dave.password });
    assert.equal(d.vips.v4, dave.staticIpv4);
    const after = (await vpn.server.listSas()).find((s) => s.remoteHost === alice.host.v4);
    assert.equal(after?.uniqueId, before.uniqueId, "alice's IKE_SA survived the reload");
    await vpn.assertReaches(alice.ns, NET.upstreamV6, alice.vips.v6);
    await vpn.drop(d);
    await vpn.drop(alice);
  });
});
