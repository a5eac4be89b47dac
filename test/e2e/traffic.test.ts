// Traffic through the tunnel to the upstream namespace (the "Internet" behind the
// server), with the rendered nftables rules loaded on the server: IPv4 leaves
// NATed to the server's address, IPv6 leaves routed with the client's own address
// from the routed /64, and nothing from outside the tunnel gets through.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inNs, runOk } from "../lib/exec";
import { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import type { VpnClient } from "../lib/client";
import { ping, probeTcp, UpstreamWatch } from "../lib/upstream";
import { createVpn, Vpn } from "../lib/vpn";
import { waitFor } from "../lib/wait";

const USERS: FixtureUser[] = [{ name: "alice", password: "alice-passw0rd-for-traffic" }];

describe("traffic through the tunnel", { timeout: 120_000 }, () => {
  let vpn: Vpn;
  let watch: UpstreamWatch;
  let client: VpnClient;

  before(async () => {
    vpn = await createVpn({ users: USERS, whoami: true });
    watch = new UpstreamWatch(vpn.topology);
    await watch.install();
  });

  after(async () => {
    await vpn?.teardown();
  });

  it("nothing reaches the upstream without the tunnel, not even with a spoofed pool address", async () => {
    const host = await vpn.topology.addClientHost();
    // The host routes via the server, so only the server's firewall stands in the way.
    const route = await runOk(inNs(host.ns, ["ip", "route", "get", NET.upstreamV4]));
    assert.match(route.stdout, new RegExp(`via ${NET.serverV4.replace(/\./g, "\\.")} `));
    assert.equal(await ping(host.ns, NET.serverV4, 2), true, "the server itself answers (ICMP is allowed)");

    // Addresses from the client pools too, used without a tunnel (spoofed).
    await runOk(inNs(host.ns, ["ip", "addr", "add", "10.47.83.77/32", "dev", "eth0"]));
    await runOk(inNs(host.ns, ["ip", "addr", "add", "2001:db8:1:1::1:77/128", "dev", "eth0", "nodad"]));
    const before = await watch.total();
    const attempts = await Promise.all([
      probeTcp(host.ns, NET.upstreamV4, { timeoutMs: 1500 }).then((r) => ["tcp4", r.ok] as const),
      probeTcp(host.ns, NET.upstreamV6, { timeoutMs: 1500 }).then((r) => ["tcp6", r.ok] as const),
      probeTcp(host.ns, NET.upstreamV4, { timeoutMs: 1500, source: "10.47.83.77" }).then((r) => ["spoofed tcp4", r.ok] as const),
      probeTcp(host.ns, NET.upstreamV6, { timeoutMs: 1500, source: "2001:db8:1:1::1:77" }).then((r) => ["spoofed tcp6", r.ok] as const),
      ping(host.ns, NET.upstreamV4, 1).then((ok) => ["ping4", ok] as const),
      ping(host.ns, NET.upstreamV6, 1).then((ok) => ["ping6", ok] as const),
    ]);
    assert.deepEqual(
      attempts.filter(([, ok]) => ok),
      [],
      "no attempt may succeed",
    );
    assert.equal(await watch.total(), before, `packets reached the upstream: ${JSON.stringify(await watch.counts())}`);
    assert.deepEqual(vpn.whoami!.connections(), []);
    await vpn.topology.removeClientHost(host);
  });

  it("through the tunnel, IPv4 reaches the upstream NATed to the server's address", async () => {
    client = await vpn.connect({ user: "alice", password: USERS[0].password });
    const before = (await watch.counts()).tcp4;
    await vpn.assertReaches(client.ns, NET.upstreamV4, NET.serverUpV4);
    assert.ok((await watch.counts()).tcp4 > before, "the watch counts tunnelled packets (so a zero above means something)");
    assert.equal(await ping(client.ns, NET.upstreamV4), true);
  });

  it("through the tunnel, IPv6 reaches the upstream routed, from the client's own address (no NAT66)", async () => {
    assert.ok(client, "needs the client of the previous test");
    await vpn.assertReaches(client.ns, NET.upstreamV6, client.vips.v6);
    assert.equal(await ping(client.ns, NET.upstreamV6), true);
  });

  it("the upstream can answer but not open connections into the pools", async () => {
    assert.ok(client, "needs the client of the previous test");
    // A listener on the client's tunnel address; the upstream routes the /64 to the server.
    const res = await probeTcp(vpn.topology.upstream, client.vips.v6!, { port: 22, timeoutMs: 1500 });
    assert.equal(res.ok, false);
    assert.equal(res.answer, "TIMEOUT", "dropped by the server's forward policy, not refused by the client");
  });

  it("TCP through the tunnel has its MSS clamped by the server (1360 for IPv4, 1340 for IPv6)", async () => {
    assert.ok(client, "needs the client of the previous test");
    // Count the upstream's SYN-ACKs as they come out of the tunnel, by the MSS they carry.
    const rules = [
      "table inet e2e_mss {",
      "  chain pre {",
      "    type filter hook prerouting priority -400; policy accept;",
      "    meta nfproto ipv4 tcp flags & (syn | ack) == syn | ack tcp option maxseg size 1360 counter",
      "    meta nfproto ipv6 tcp flags & (syn | ack) == syn | ack tcp option maxseg size 1340 counter",
      "    tcp flags & (syn | ack) == syn | ack tcp option maxseg size > 1360 counter",
      "  }",
      "}",
      "",
    ].join("\n");
    await runOk(inNs(client.ns, ["nft", "-f", "-"]), { input: rules });
    await vpn.assertReaches(client.ns, NET.upstreamV4, NET.serverUpV4);
    await vpn.assertReaches(client.ns, NET.upstreamV6, client.vips.v6);
    const res = await runOk(inNs(client.ns, ["nft", "-j", "list", "table", "inet", "e2e_mss"]));
    const [v4, v6, larger] = (JSON.parse(res.stdout).nftables as Array<Record<string, any>>)
      .filter((o) => o.rule)
      .map((o) => (o.rule.expr as Array<Record<string, any>>).find((e) => e.counter)!.counter.packets as number);
    // The upstream (MTU 1500) offers 1460/1440; only the server's rules lower it.
    assert.deepEqual({ v4, v6, larger }, { v4: 1, v6: 1, larger: 0 });
  });

  it("tunnelled traffic really is ESP over UDP 4500 (the CHILD_SA counts the bytes)", async () => {
    assert.ok(client, "needs the client of the previous test");
    const sa = await client.ikeSa();
    const child = sa!.children[0];
    assert.equal(child.protocol, "ESP");
    assert.equal(child.encap, true, "UDP-encapsulated (encap = yes)");
    assert.ok(child.bytesOut > 0 && child.bytesIn > 0, `bytes in/out ${child.bytesIn}/${child.bytesOut}`);
  });
  it("a client that changes networks keeps its tunnel and addresses (MOBIKE)", async () => {
    assert.ok(client, "needs the client of the previous test");
    const before = (await vpn.server.listSas()).find((s) => s.remoteHost === client.host.v4)!;
    assert.ok(before, "the server's SA for the client");
    // The device moves to another address (Wi-Fi -> mobile): new address first, then the old one goes.
    const moved = `192.0.2.${250 - client.host.index}`;
    await runOk(inNs(client.ns, ["sysctl", "-q", "-w", "net.ipv4.conf.eth0.promote_secondaries=1"]));
    await runOk(inNs(client.ns, ["ip", "addr", "add", `${moved}/24`, "dev", "eth0"]));
    await runOk(inNs(client.ns, ["ip", "addr", "del", `${client.host.v4}/24`, "dev", "eth0"]));
    await runOk(inNs(client.ns, ["ip", "route", "replace", "default", "via", NET.serverV4]));
    const after = await waitFor(async () => (await vpn.server.listSas()).find((s) => s.uniqueId === before.uniqueId && s.remoteHost === moved), {
      timeoutMs: 15_000,
      what: `the server's SA to follow the client to ${moved}`,
    });
    assert.deepEqual(after.remoteVips.sort(), before.remoteVips.sort(), "same virtual addresses");
    await vpn.assertReaches(client.ns, NET.upstreamV6, client.vips.v6);
    await vpn.assertReaches(client.ns, NET.upstreamV4, NET.serverUpV4);
  });
});
