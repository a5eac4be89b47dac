// User changes go live by reloading (swanctl --load-all: creds, pools, conns, as
// the apply step runs it), never by restarting charon: connected users keep
// their tunnels, added users get in, removed users are kept out.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import { createVpn, Vpn } from "../lib/vpn";

const ALICE: FixtureUser = { name: "alice", password: "alice-reload-passw0rd" };
const BOB: FixtureUser = { name: "bob", password: "bob-reload-passw0rd" };
const DAVE: FixtureUser = { name: "dave", password: "dave-joins-later-passw0rd" };

describe("live user changes", { timeout: 120_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    vpn = await createVpn({ users: [ALICE, BOB], whoami: true });
  });

  after(async () => {
    await vpn?.teardown();
  });

  it("adding a user and reloading lets the new user in while an existing SA stays up", async () => {
    const alice = await vpn.connect({ user: ALICE.name, password: ALICE.password });
    const pid = vpn.server.pid;
    const sa = (await vpn.server.listSas()).find((s) => s.remoteHost === alice.host.v4)!;
    const child = sa.children[0];

    const refused = await vpn.client({ user: DAVE.name, password: DAVE.password });
    assert.equal((await refused.connect()).ok, false, "dave is unknown before the reload");
    await vpn.drop(refused);

    const res = await vpn.server.reload(vpn.rerenderFiles({ users: [ALICE, BOB, DAVE] }));
    assert.match(res.stdout, /loaded eap secret/);
    assert.equal(vpn.server.pid, pid, "same charon process");
    assert.equal(vpn.server.charon!.running, true);

    const dave = await vpn.connect({ user: DAVE.name, password: DAVE.password });
    assert.ok(dave.vips.v4 && dave.vips.v4 !== alice.vips.v4);

    const after = (await vpn.server.listSas()).find((s) => s.remoteHost === alice.host.v4);
    assert.equal(after?.uniqueId, sa.uniqueId, "alice's IKE_SA is the same one");
    assert.equal(after?.state, "ESTABLISHED");
    assert.equal(after?.children[0]?.name, child.name);
    await vpn.assertReaches(alice.ns, NET.upstreamV4, NET.serverUpV4);
    await vpn.assertReaches(dave.ns, NET.upstreamV6, dave.vips.v6);
    await vpn.drop(dave);
    await vpn.drop(alice);
  });

  it("a user removed and reloaded can no longer log in", async () => {
    const before = await vpn.connect({ user: BOB.name, password: BOB.password });
    await vpn.drop(before);
    await vpn.server.reload(vpn.rerenderFiles({ users: [ALICE, DAVE] }));
    const bob = await vpn.client({ user: BOB.name, password: BOB.password });
    const r = await bob.connect();
    assert.equal(r.ok, false);
    assert.match(r.output, /EAP_MSCHAPV2 method failed/);
    await vpn.drop(bob);
  });
});
