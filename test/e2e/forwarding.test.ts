// Forwarding only what a VPN needs, with the rendered nftables rules on
// the server: clients out to the Internet and the answers back, nothing else.
// Each rule is checked both ways and for IPv4 and IPv6, against a control that
// shows the path itself works (so a dropped probe means the rule dropped it).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inNs, runOk } from "../lib/exec";
import type { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import type { VpnClient } from "../lib/client";
import { ping, probeTcp, startWhoamiIn, WhoamiServer } from "../lib/upstream";
import { createVpn, Vpn } from "../lib/vpn";
import { LINODE_METADATA_V6 } from "../../model/server/files";

const alice: FixtureUser = { name: "alice", password: "alice-passw0rd-for-forwarding" };
const bob: FixtureUser = { name: "bob", password: "bob-passw0rd-for-forwarding", staticIpv4: "10.47.83.50" };
const METADATA_V4 = "169.254.169.254";
/** Another link-local address: the whole 169.254.0.0/16 is kept from clients, not only the metadata service. */
const LINK_LOCAL_V4 = "169.254.7.7";
const SSH = 22;
const QUICK = { timeoutMs: 1500 };

/** The server answers on 22 (a stand-in for sshd) in its namespace; whether a probe gets an answer is the firewall's doing. */
async function sshStandIn(vpn: Vpn): Promise<WhoamiServer> {
  return startWhoamiIn(vpn.server.ns, SSH);
}

/**
 * The metadata service and another link-local address answer in the upstream
 * namespace, routed from the server as Linode's are reachable from a VM
 * (test-only routes; the upstream's whoami listens on every address).
 */
async function metadataStandIn(vpn: Vpn): Promise<void> {
  const up = vpn.topology.upstream;
  const srv = vpn.server.ns;
  for (const a of [`${METADATA_V4}/32`, `${LINK_LOCAL_V4}/32`]) await runOk(inNs(up, ["ip", "addr", "add", a, "dev", "eth0"]));
  await runOk(inNs(up, ["ip", "addr", "add", `${LINODE_METADATA_V6}/128`, "dev", "eth0", "nodad"]));
  await runOk(inNs(srv, ["ip", "route", "add", "169.254.0.0/16", "via", NET.upstreamV4]));
  await runOk(inNs(srv, ["ip", "-6", "route", "add", `${LINODE_METADATA_V6}/128`, "via", NET.upstreamV6]));
}

/** TCP from `from` to each address of `to` (v4, v6) on the listener port: the source the listener saw, or the error. */
async function reach(from: VpnClient, to: VpnClient): Promise<{ v4: string; v6: string }> {
  const [v4, v6] = await Promise.all([probeTcp(from.ns, to.vips.v4!, QUICK), probeTcp(from.ns, to.vips.v6!, QUICK)]);
  return { v4: v4.answer, v6: v6.answer };
}

describe("forwarding, default config: clients reach the Internet, not each other, not link-local, not SSH", { timeout: 180_000 }, () => {
  let vpn: Vpn;
  let a: VpnClient;
  let b: VpnClient;
  const listeners: WhoamiServer[] = [];

  before(async () => {
    vpn = await createVpn({ users: [alice, bob], whoami: true });
    a = await vpn.connect({ user: alice.name, password: alice.password, identity: alice.name });
    b = await vpn.connect({ user: bob.name, password: bob.password, identity: bob.name });
    for (const c of [a, b]) listeners.push(await startWhoamiIn(c.ns));
    listeners.push(await sshStandIn(vpn));
    await metadataStandIn(vpn);
  });

  after(async () => {
    for (const l of listeners) await l.stop().catch(() => undefined);
    await vpn?.teardown();
  });

  it("both clients reach the upstream (v4 NATed, v6 routed): the tunnels work", async () => {
    for (const c of [a, b]) {
      await vpn.assertReaches(c.ns, NET.upstreamV4, NET.serverUpV4);
      await vpn.assertReaches(c.ns, NET.upstreamV6, c.vips.v6);
    }
  });

  it("client to client is dropped, both ways, IPv4 and IPv6 (TCP and ping)", async () => {
    assert.deepEqual(await reach(a, b), { v4: "TIMEOUT", v6: "TIMEOUT" }, "alice -> bob");
    assert.deepEqual(await reach(b, a), { v4: "TIMEOUT", v6: "TIMEOUT" }, "bob -> alice");
    const pings = await Promise.all([ping(a.ns, b.vips.v4!, 1), ping(a.ns, b.vips.v6!, 1), ping(b.ns, a.vips.v4!, 1), ping(b.ns, a.vips.v6!, 1)]);
    assert.deepEqual(pings, [false, false, false, false]);
  });

  it("the upstream cannot open connections into the pools (IPv4 and IPv6); only answers come back", async () => {
    const [v4, v6] = await Promise.all([probeTcp(vpn.topology.upstream, a.vips.v4!, QUICK), probeTcp(vpn.topology.upstream, a.vips.v6!, QUICK)]);
    assert.deepEqual([v4.answer, v6.answer], ["TIMEOUT", "TIMEOUT"]);
  });

  it("link-local and the metadata service are unreachable through the tunnel (IPv4 169.254/16, IPv6 metadata), though the server reaches them", async () => {
    // Control: from the server itself the stand-ins answer, so the route exists.
    for (const t of [METADATA_V4, LINK_LOCAL_V4, LINODE_METADATA_V6]) {
      const r = await probeTcp(vpn.server.ns, t, QUICK);
      assert.equal(r.ok, true, `the server reaches ${t}: ${r.answer}`);
    }
    for (const c of [a, b]) {
      const got = await Promise.all([METADATA_V4, LINK_LOCAL_V4, LINODE_METADATA_V6].map((t) => probeTcp(c.ns, t, QUICK).then((r) => r.answer)));
      assert.deepEqual(got, ["TIMEOUT", "TIMEOUT", "TIMEOUT"], `${c.spec.user}: metadata v4, link-local v4, metadata v6`);
    }
    // The other way: the metadata address cannot open a connection to a client either.
    const back = await probeTcp(vpn.topology.upstream, a.vips.v6!, { ...QUICK, source: LINODE_METADATA_V6 });
    assert.equal(back.answer, "TIMEOUT");
  });

  it("the server's SSH is closed through the tunnel (IPv4 and IPv6) but open from outside it", async () => {
    const outside = await vpn.topology.addClientHost();
    try {
      for (const t of [NET.serverUpV4, NET.serverUpV6]) {
        const r = await probeTcp(outside.ns, t, { ...QUICK, port: SSH });
        assert.equal(r.ok, true, `control: ${t}:22 answers from outside the tunnel: ${r.answer}`);
      }
    } finally {
      await vpn.topology.removeClientHost(outside);
    }
    for (const c of [a, b]) {
      const got = await Promise.all([NET.serverUpV4, NET.serverUpV6].map((t) => probeTcp(c.ns, t, { ...QUICK, port: SSH }).then((r) => r.answer)));
      assert.deepEqual(got, ["TIMEOUT", "TIMEOUT"], `${c.spec.user} through the tunnel`);
      // Not the whole server is closed: the upstream-side address still routes the client's traffic.
      assert.equal((await probeTcp(c.ns, NET.upstreamV4, QUICK)).ok, true);
    }
  });
});

describe("forwarding with vpn:clientToClient and a tunnel address in vpn:sshAllowedCidrs", { timeout: 180_000 }, () => {
  let vpn: Vpn;
  let a: VpnClient;
  let b: VpnClient;
  const listeners: WhoamiServer[] = [];

  before(async () => {
    vpn = await createVpn({
      users: [alice, bob],
      whoami: true,
      extra: { "vpn:clientToClient": true, "vpn:sshAllowedCidrs": ["0.0.0.0/0", "::/0", `${bob.staticIpv4}/32`] },
    });
    a = await vpn.connect({ user: alice.name, password: alice.password, identity: alice.name });
    b = await vpn.connect({ user: bob.name, password: bob.password, identity: bob.name });
    assert.equal(b.vips.v4, bob.staticIpv4);
    for (const c of [a, b]) listeners.push(await startWhoamiIn(c.ns));
    listeners.push(await sshStandIn(vpn));
    await metadataStandIn(vpn);
  });

  after(async () => {
    for (const l of listeners) await l.stop().catch(() => undefined);
    await vpn?.teardown();
  });

  it("clients reach each other, both ways, IPv4 and IPv6, from their own tunnel addresses (no NAT between them)", async () => {
    assert.deepEqual(await reach(a, b), { v4: a.vips.v4, v6: a.vips.v6 }, "alice -> bob");
    assert.deepEqual(await reach(b, a), { v4: b.vips.v4, v6: b.vips.v6 }, "bob -> alice");
    assert.equal(await ping(a.ns, b.vips.v6!), true);
    assert.equal(await ping(b.ns, a.vips.v4!), true);
  });

  it("link-local and metadata stay unreachable, and the Internet reachable", async () => {
    const got = await Promise.all([METADATA_V4, LINK_LOCAL_V4, LINODE_METADATA_V6].map((t) => probeTcp(a.ns, t, QUICK).then((r) => r.answer)));
    assert.deepEqual(got, ["TIMEOUT", "TIMEOUT", "TIMEOUT"]);
    await vpn.assertReaches(a.ns, NET.upstreamV4, NET.serverUpV4);
    await vpn.assertReaches(a.ns, NET.upstreamV6, a.vips.v6);
  });

  it("only the tunnel address named in vpn:sshAllowedCidrs reaches SSH through the tunnel (IPv4); IPv6 stays closed", async () => {
    assert.equal((await probeTcp(b.ns, NET.serverUpV4, { ...QUICK, port: SSH })).answer, bob.staticIpv4, "bob's static address may");
    assert.equal((await probeTcp(b.ns, NET.serverUpV6, { ...QUICK, port: SSH })).answer, "TIMEOUT", "not over IPv6");
    assert.equal((await probeTcp(a.ns, NET.serverUpV4, { ...QUICK, port: SSH })).answer, "TIMEOUT", "alice's dynamic address may not");
  });
});
