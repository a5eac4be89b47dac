// The server's own resolver, with the rendered unbound fragment: by
// default clients get it as their DNS (IPv4 and IPv6 addresses inside the pools);
// through the tunnel it resolves and validates (names from a test root in the
// upstream namespace, signed with a test key that stands in for the real root's);
// a forged answer gives SERVFAIL; from outside the tunnel port 53 answers nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inNs, runOk } from "../lib/exec";
import type { FixtureUser } from "../lib/fixture";
import { NET } from "../lib/netns";
import type { VpnClient } from "../lib/client";
import { expandV6, query, startResolver, startTestRoot, TEST_DNS, TestRoot } from "../lib/dns";
import type { Daemon } from "../lib/procs";
import { createVpn, Vpn } from "../lib/vpn";
import { resolverAddresses, ipv6Pool } from "../../model/addresses";

const alice: FixtureUser = { name: "alice", password: "alice-passw0rd-for-dns" };
const NOERROR = 0;
const SERVFAIL = 2;

describe("the server's resolver (vpn:dnsServers empty, the default)", { timeout: 180_000 }, () => {
  let vpn: Vpn;
  let root: TestRoot;
  let unbound: Daemon;
  let client: VpnClient;
  let resolver: { v4: string; v6: string };

  before(async () => {
    vpn = await createVpn({ users: [alice], whoami: true, extra: { "vpn:dnsServers": [] } });
    resolver = resolverAddresses("10.47.83.0/24", ipv6Pool(NET.routedV6));
    root = await startTestRoot(vpn.topology);
    unbound = await startResolver(vpn.server, root);
    client = await vpn.connect({ user: alice.name, password: alice.password, identity: alice.name });
  });

  after(async () => {
    await unbound?.stop();
    await root?.stop();
    await vpn?.teardown();
  });

  it("clients get the server's own IPv4 and IPv6 addresses inside the pools as DNS, and never hold them", async () => {
    assert.deepEqual(resolver, { v4: "10.47.83.1", v6: "2001:db8:1:1::1:0" });
    assert.deepEqual(client.dns().sort(), [resolver.v4, resolver.v6].sort());
    assert.notEqual(client.vips.v4, resolver.v4);
    assert.notEqual(client.vips.v6, resolver.v6);
  });

  it("through the tunnel it resolves the test root's names, validated (AD), over IPv4 and IPv6", async () => {
    for (const server of [resolver.v4, resolver.v6]) {
      const a = await query(client.ns, server, TEST_DNS.good, "A");
      assert.deepEqual(a, { rcode: NOERROR, ad: true, addrs: [TEST_DNS.goodV4] }, `A via ${server}`);
      const aaaa = await query(client.ns, server, TEST_DNS.good, "AAAA");
      assert.deepEqual(aaaa, { rcode: NOERROR, ad: true, addrs: [expandV6(TEST_DNS.goodV6)] }, `AAAA via ${server}`);
    }
  });

  it("an answer whose signature does not match gives SERVFAIL", async () => {
    for (const server of [resolver.v4, resolver.v6]) {
      const r = await query(client.ns, server, TEST_DNS.bogus, "A");
      assert.deepEqual({ rcode: r.rcode, addrs: r.addrs }, { rcode: SERVFAIL, addrs: [] }, `via ${server}`);
    }
    // Control: the test root does serve it (without validation the forged address would get through).
    const direct = await query(vpn.topology.upstream, NET.upstreamV4, TEST_DNS.bogus, "A");
    assert.deepEqual(direct.addrs, [TEST_DNS.bogusServed]);
  });

  it("from outside the tunnel port 53 answers nothing: not the resolver's addresses, not the server's public ones, not with a spoofed pool source", async () => {
    const outside = await vpn.topology.addClientHost();
    try {
      await runOk(inNs(outside.ns, ["ip", "addr", "add", "10.47.83.77/32", "dev", "eth0"]));
      const attempts = await Promise.all([
        query(outside.ns, resolver.v4, TEST_DNS.good, "A", { timeoutMs: 1500 }),
        query(outside.ns, NET.serverV4, TEST_DNS.good, "A", { timeoutMs: 1500 }),
        query(outside.ns, NET.serverV6, TEST_DNS.good, "A", { timeoutMs: 1500 }),
        query(outside.ns, resolver.v4, TEST_DNS.good, "A", { timeoutMs: 1500, source: "10.47.83.77" }),
        // The routed /64 reaches the server from the Internet: its resolver address there too.
        query(vpn.topology.upstream, resolver.v6, TEST_DNS.good, "A", { timeoutMs: 1500 }),
        query(vpn.topology.upstream, NET.serverUpV4, TEST_DNS.good, "A", { timeoutMs: 1500 }),
      ]);
      assert.deepEqual(
        attempts.map((r) => r.error ?? `rcode ${r.rcode}`),
        ["TIMEOUT", "TIMEOUT", "TIMEOUT", "TIMEOUT", "TIMEOUT", "TIMEOUT"],
      );
    } finally {
      await vpn.topology.removeClientHost(outside);
    }
  });
});
