// The local Linode API (test/engine/world/api) against what linodego and the
// provider need, with in-memory backends (./linode-world-fixture.ts): Cloud
// Firewalls, reverse DNS, IPv6 ranges and the DNS zone. Each shape check names the
// source that makes it necessary. Instances: linode-world-api-instances.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { field, running, TIME, ZONE, world } from "./linode-world-fixture";

test("firewall: label rules and uniqueness, one firewall per Linode, enforced state handed to the backend", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  const rules = {
    inbound_policy: "DROP",
    outbound_policy: "ACCEPT",
    inbound: [
      { label: "ike-natt", action: "ACCEPT", protocol: "UDP", ports: "500,4500", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] } },
      { label: "icmp", action: "ACCEPT", protocol: "ICMP", addresses: { ipv4: ["0.0.0.0/0"] } },
    ],
  };
  for (const label of ["ab", "x".repeat(33), "fw-", "fw--x"]) {
    const r = await f.call("POST", "networking/firewalls", { label, rules });
    assert.equal(r.status, 400, label);
    assert.equal(field(r), "label", label);
  }
  const bad = await f.call("POST", "networking/firewalls", { label: "fw-icmp", rules: { ...rules, inbound: [{ ...rules.inbound[1], ports: "22" }] } });
  assert.equal(field(bad), "rules.inbound[0].ports");
  const fw = await f.call("POST", "networking/firewalls", { label: "vpn-dev-us-east", rules, tags: ["vpn-dev"], devices: { linodes: [inst.id] } });
  assert.equal(fw.status, 200, JSON.stringify(fw.json));
  assert.match(fw.json.created, TIME);
  assert.equal(fw.json.rules.inbound_policy, "DROP");
  const again = await f.call("POST", "networking/firewalls", { label: "vpn-dev-us-east", rules });
  assert.match(again.json.errors[0].reason, /unique among your Firewalls/);
  const second = await f.call("POST", "networking/firewalls", { label: "second", rules, devices: { linodes: [inst.id] } });
  assert.equal(second.status, 400);
  assert.equal(field(second), "devices.linodes[0]");
  const other = await f.call("POST", "networking/firewalls", { label: "second", rules });
  const add = await f.call("POST", `networking/firewalls/${other.json.id}/devices`, { id: inst.id, type: "linode" });
  assert.equal(add.status, 400);

  const devices = (await f.call("GET", `networking/firewalls/${fw.json.id}/devices`)).json;
  assert.equal(devices.results, 1);
  assert.deepEqual(devices.data[0].entity, { id: inst.id, type: "linode", label: inst.label, url: `/v4/linode/instances/${inst.id}`, parent_entity: null });
  const last = f.applies.at(-1)!;
  const mine = last.find((s) => s.id === fw.json.id)!;
  assert.deepEqual(mine.devices, [{ linodeId: inst.id, ipv4: "203.0.113.11", ipv6Slaac: "2001:db8:7700::65" }]);
  assert.equal(mine.inbound_policy, "DROP");
  assert.deepEqual(
    mine.inbound.map((r) => r.label),
    ["ike-natt", "icmp"],
  );

  // Rules update is enforced too.
  const put = await f.call("PUT", `networking/firewalls/${fw.json.id}/rules`, { ...rules, inbound: [rules.inbound[0]] });
  assert.equal(put.status, 200);
  assert.deepEqual(
    f.applies
      .at(-1)!
      .find((s) => s.id === fw.json.id)!
      .inbound.map((r) => r.label),
    ["ike-natt"],
  );

  // Deleting the Linode removes its device entry, and the backend stops enforcing it.
  assert.equal((await f.call("DELETE", `linode/instances/${inst.id}`)).status, 200);
  assert.equal((await f.call("GET", `networking/firewalls/${fw.json.id}/devices`)).json.results, 0);
  assert.deepEqual(f.applies.at(-1)!.find((s) => s.id === fw.json.id)!.devices, []);
  assert.equal((await f.call("DELETE", `networking/firewalls/${fw.json.id}`)).status, 200);
  assert.equal((await f.call("GET", `networking/firewalls/${fw.json.id}`)).status, 404);
  assert.equal(
    f.applies.at(-1)!.some((s) => s.id === fw.json.id),
    false,
  );
});

test("firewall applies are serialized and the last one carries the whole set", async (t) => {
  const f = await world(t);
  const rules = { inbound_policy: "DROP", outbound_policy: "ACCEPT" };
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => f.call("POST", "networking/firewalls", { label: `fw-${i}`, rules })));
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(f.maxFirewallConcurrency, 1);
  assert.equal(f.applies.at(-1)!.length, 6);
});

test("rDNS: accepted only when the name resolves forward to the address; a retry after the record exists succeeds", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  const v6 = "2001:db8:7700::65";
  const early = await f.call("PUT", `networking/ips/${inst.ipv4[0]}`, { rdns: "vpn.example.com" });
  assert.equal(early.status, 400);
  assert.equal(field(early), "rdns");
  assert.match(early.json.errors[0].reason, /Reverse DNS must have a matching forward entry/);
  f.resolveFails = true;
  const lookup = await f.call("PUT", `networking/ips/${inst.ipv4[0]}`, { rdns: "vpn.example.com" });
  assert.equal(lookup.status, 400);
  // The provider's wait_for_available also retries on this text (linode/rdns/framework_helper.go).
  assert.match(lookup.json.errors[0].reason, /unable to perform a lookup/);
  f.resolveFails = false;

  const domains = (await f.call("GET", "domains", undefined, { "X-Filter": JSON.stringify({ domain: ZONE }) })).json;
  const did = domains.data[0].id;
  await f.call("POST", `domains/${did}/records`, { type: "A", name: "vpn", target: inst.ipv4[0], ttl_sec: 300 });
  await f.call("POST", `domains/${did}/records`, { type: "A", name: "other", target: "198.51.100.9", ttl_sec: 300 });
  const wrong = await f.call("PUT", `networking/ips/${inst.ipv4[0]}`, { rdns: "other.example.com" });
  assert.equal(wrong.status, 400, "a name that resolves elsewhere is refused");
  const ok = await f.call("PUT", `networking/ips/${inst.ipv4[0]}`, { rdns: "vpn.example.com" });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.rdns, "vpn.example.com");
  assert.equal((await f.call("GET", `networking/ips/${inst.ipv4[0]}`)).json.rdns, "vpn.example.com");

  await f.call("POST", `domains/${did}/records`, { type: "AAAA", name: "vpn", target: "2001:db8:7700:0::65", ttl_sec: 300 });
  const six = await f.call("PUT", `networking/ips/${v6}`, { rdns: "vpn.example.com." });
  assert.equal(six.status, 200, JSON.stringify(six.json));
  assert.equal(six.json.rdns, "vpn.example.com");

  // null resets to Linode's default name (the provider's delete sends exactly this).
  const reset = await f.call("PUT", `networking/ips/${inst.ipv4[0]}`, { rdns: null });
  assert.equal(reset.json.rdns, "203-0-113-11.ip.linodeusercontent.com");
  assert.equal((await f.call("PUT", `networking/ips/${v6}`, { rdns: null })).json.rdns, null);

  await f.call("DELETE", `linode/instances/${inst.id}`);
  assert.equal((await f.call("GET", `networking/ips/${inst.ipv4[0]}`)).status, 404);
});

test("IPv6 range: routed to the instance's SLAAC address, GET by range without prefix, gone with the instance", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  assert.equal(field(await f.call("POST", "networking/ipv6/ranges", { linode_id: inst.id, prefix_length: 48 })), "prefix_length");
  assert.equal(field(await f.call("POST", "networking/ipv6/ranges", { linode_id: 12345, prefix_length: 64 })), "linode_id");
  const r = await f.call("POST", "networking/ipv6/ranges", { linode_id: inst.id, prefix_length: 64 });
  assert.equal(r.status, 200);
  // POST answers {range: "x::/64", route_target} (provider linode/ipv6range/framework_resource.go).
  assert.deepEqual(r.json, { range: "2001:db8:7711::/64", route_target: "2001:db8:7700::65" });
  assert.deepEqual(f.routed, [[inst.id, "2001:db8:7711::/64"]]);
  const got = await f.call("GET", "networking/ipv6/ranges/2001:db8:7711::");
  assert.deepEqual(got.json, { range: "2001:db8:7711::", prefix: 64, region: "us-east", route_target: "2001:db8:7700::65", is_bgp: false, linodes: [inst.id] });
  const ips = (await f.call("GET", `linode/instances/${inst.id}/ips`)).json;
  assert.deepEqual(ips.ipv6.global, [{ range: "2001:db8:7711::", prefix: 64, region: "us-east", route_target: "2001:db8:7700::65" }]);
  assert.equal((await f.call("POST", "networking/ipv6/ranges", { linode_id: inst.id, prefix_length: 64 })).status, 400);

  await f.call("DELETE", `linode/instances/${inst.id}`);
  await f.api.idle();
  assert.equal((await f.call("GET", "networking/ipv6/ranges/2001:db8:7711::")).status, 404);
  assert.deepEqual(f.unrouted, ["2001:db8:7711::/64"]);
  assert.equal((await f.call("DELETE", "networking/ipv6/ranges/2001:db8:7711::")).status, 404);
});

test("range DELETE unroutes; a range is carried into the firewall state of its instance", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  const fw = await f.call("POST", "networking/firewalls", {
    label: "fw-one",
    rules: { inbound_policy: "DROP", outbound_policy: "ACCEPT" },
    devices: { linodes: [inst.id] },
  });
  await f.call("POST", "networking/ipv6/ranges", { linode_id: inst.id, prefix_length: 64 });
  assert.equal(f.applies.at(-1)!.find((s) => s.id === fw.json.id)!.devices[0].range, "2001:db8:7711::/64");
  assert.equal((await f.call("DELETE", "networking/ipv6/ranges/2001:db8:7711::")).status, 200);
  assert.deepEqual(f.unrouted, ["2001:db8:7711::/64"]);
  assert.equal(f.applies.at(-1)!.find((s) => s.id === fw.json.id)!.devices[0].range, undefined);
});

test("domains: X-Filter selects the zone; records paginate with page/page_size and are served by the DNS backend", async (t) => {
  const f = await world(t);
  const none = (await f.call("GET", "domains", undefined, { "X-Filter": JSON.stringify({ domain: "example.org" }) })).json;
  assert.deepEqual({ ...none, data: none.data.length }, { data: 0, page: 1, pages: 1, results: 0 });
  const d = (await f.call("GET", "domains", undefined, { "X-Filter": JSON.stringify({ domain: ZONE }) })).json.data[0];
  assert.equal(d.domain, ZONE);
  assert.equal((await f.call("GET", `domains/${d.id}`)).json.domain, ZONE);
  for (let i = 0; i < 30; i++) {
    const r = await f.call("POST", `domains/${d.id}/records`, { type: "TXT", name: `_acme-challenge.h${i}`, target: `v${i}`, ttl_sec: 300 });
    assert.equal(r.status, 200);
  }
  assert.equal(f.zone.length, 30);
  const p1 = (await f.call("GET", `domains/${d.id}/records?page_size=25`)).json;
  assert.deepEqual([p1.page, p1.pages, p1.results, p1.data.length], [1, 2, 30, 25]);
  const p2 = (await f.call("GET", `domains/${d.id}/records?page=2&page_size=25`)).json;
  assert.deepEqual([p2.page, p2.data.length], [2, 5]);
  assert.equal(field(await f.call("GET", `domains/${d.id}/records?page_size=10`)), "page_size");
  const one = (await f.call("GET", `domains/${d.id}/records`, undefined, { "X-Filter": JSON.stringify({ name: "_acme-challenge.h7", type: "TXT" }) })).json;
  assert.deepEqual(
    one.data.map((r: any) => r.target),
    ["v7"],
  );

  const a = await f.call("POST", `domains/${d.id}/records`, { type: "A", name: `vpn.${ZONE}`, target: "203.0.113.11", ttl_sec: 301 });
  assert.equal(a.json.name, "vpn", "an FQDN inside the zone is stored relative");
  assert.equal(a.json.ttl_sec, 3600, "ttl rounds up to an allowed value");
  assert.equal(field(await f.call("POST", `domains/${d.id}/records`, { type: "A", name: "x", target: "2001:db8::1" })), "target");
  assert.equal(field(await f.call("POST", `domains/${d.id}/records`, { type: "CNAME", name: "vpn", target: "elsewhere.example.net" })), "name");
  const put = await f.call("PUT", `domains/${d.id}/records/${a.json.id}`, { target: "203.0.113.12" });
  assert.equal(put.json.target, "203.0.113.12");
  assert.ok(f.zone.some((r) => r.name === "vpn" && r.target === "203.0.113.12"));
  assert.equal((await f.call("DELETE", `domains/${d.id}/records/${a.json.id}`)).status, 200);
  assert.equal((await f.call("GET", `domains/${d.id}/records/${a.json.id}`)).status, 404);
  assert.equal(
    f.zone.some((r) => r.name === "vpn"),
    false,
  );
});
