// The local Linode API (test/engine/world/api) against what linodego and the
// provider need, with in-memory backends. Each shape check names the source
// that makes it necessary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinodeApi } from "../engine/world/api";
import type { DnsRecordSpec, FirewallState, InstanceSpec, LinodeApiHandle } from "../engine/world/api";
import { waitFor } from "../lib/wait";

const TOKEN = "world-token";
const ZONE = "example.com";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOa0bwrBhOHxL7fhqvXBeW9q2c1YjvUBK8fGUIP0ZvSa test";
const PASS = "Zq8!vN3#pL6@wR1$kT5%";
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

interface Fakes {
  api: LinodeApiHandle;
  created: InstanceSpec[];
  destroyed: number[];
  routed: [number, string][];
  unrouted: string[];
  applies: FirewallState[][];
  zone: DnsRecordSpec[];
  /** set to hold machine create/destroy until released */
  holdCreate?: Deferred;
  holdDestroy?: Deferred;
  resolveFails: boolean;
  maxFirewallConcurrency: number;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string | null; json: any }>;
}

async function world(t: { after(fn: () => Promise<void>): void }): Promise<Fakes> {
  let inFlight = 0;
  const f = {
    created: [],
    destroyed: [],
    routed: [],
    unrouted: [],
    applies: [],
    zone: [],
    resolveFails: false,
    maxFirewallConcurrency: 0,
  } as unknown as Fakes;
  f.api = await startLinodeApi({
    token: TOKEN,
    zones: [ZONE],
    regions: [
      { id: "us-east", capabilities: ["Linodes", "Cloud Firewall", "Metadata", "Vlans"] },
      { id: "us-west", capabilities: ["Linodes", "Cloud Firewall"] },
    ],
    machines: {
      async create(spec) {
        f.created.push(spec);
        if (f.holdCreate) await f.holdCreate.promise;
      },
      async destroy(id) {
        if (f.holdDestroy) await f.holdDestroy.promise;
        f.destroyed.push(id);
      },
      async routeRange(id, range) {
        f.routed.push([id, range]);
      },
      async unrouteRange(range) {
        f.unrouted.push(range);
      },
    },
    firewalls: {
      async apply(all) {
        inFlight++;
        f.maxFirewallConcurrency = Math.max(f.maxFirewallConcurrency, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        f.applies.push(all);
        inFlight--;
      },
    },
    dns: {
      async apply(zone, records) {
        assert.equal(zone, ZONE);
        f.zone = records;
      },
      async resolve(fqdn) {
        if (f.resolveFails) throw new Error("SERVFAIL");
        return f.zone.filter((r) => (r.type === "A" || r.type === "AAAA") && (r.name ? `${r.name}.${ZONE}` : ZONE) === fqdn).map((r) => r.target);
      },
    },
    addresses: {
      ipv4: (i) => `203.0.113.${10 + i}`,
      ipv6Slaac: (i) => `2001:db8:7700::${(100 + i).toString(16)}`,
      range64: (i) => `2001:db8:77${10 + i}::/64`,
    },
  });
  f.call = async (method, path, body, headers = {}) => {
    const res = await fetch(`${f.api.url}/v4/${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: "application/json", "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : undefined };
  };
  t.after(() => f.api.stop());
  return f;
}

const instanceArgs = (over: Record<string, unknown> = {}) => ({
  region: "us-east",
  type: "g6-nanode-1",
  image: "linode/debian12",
  label: "vpn-dev-us-east",
  root_pass: PASS,
  authorized_keys: [KEY],
  tags: ["vpn-dev"],
  booted: true,
  ...over,
});

async function running(f: Fakes, over: Record<string, unknown> = {}): Promise<any> {
  const r = await f.call("POST", "linode/instances", instanceArgs(over));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await f.api.idle();
  return (await f.call("GET", `linode/instances/${r.json.id}`)).json;
}

function field(r: { json: any }): string | undefined {
  return r.json?.errors?.[0]?.field;
}

test("instance: created provisioning, running only once the machine backend resolved", async (t) => {
  const f = await world(t);
  f.holdCreate = deferred();
  const ud = "#cloud-config\nssh_deletekeys: true\n";
  const r = await f.call("POST", "linode/instances", instanceArgs({ metadata: { user_data: Buffer.from(ud).toString("base64") } }));
  assert.equal(r.status, 200);
  assert.equal(r.json.status, "provisioning");
  const id = r.json.id;
  await waitFor(async () => (await f.call("GET", `linode/instances/${id}`)).json.status === "booting", { timeoutMs: 2000, what: "booting" });
  assert.equal(f.created.length, 1);
  assert.deepEqual(f.created[0], {
    id,
    label: "vpn-dev-us-east",
    region: "us-east",
    image: "linode/debian12",
    type: "g6-nanode-1",
    ipv4: "203.0.113.11",
    ipv6Slaac: "2001:db8:7700::65",
    authorizedKeys: [KEY],
    userData: ud,
  });
  f.holdCreate.resolve();
  await f.api.idle();
  const got = (await f.call("GET", `linode/instances/${id}`)).json;
  assert.equal(got.status, "running");
  assert.equal(got.has_user_data, true);
});

test("instance: every object linodego and the provider dereference is present and typed", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  // linodego parseabletime: "2006-01-02T15:04:05", no zone.
  assert.match(inst.created, TIME);
  assert.match(inst.updated, TIME);
  // provider linode/instance/flatten.go: Specs.*, Alerts.*, Backups.Schedule.* read unchecked.
  for (const k of ["disk", "memory", "vcpus", "transfer", "gpus"]) assert.equal(typeof inst.specs[k], "number", `specs.${k}`);
  for (const k of ["cpu", "io", "network_in", "network_out", "transfer_quota"]) assert.equal(typeof inst.alerts[k], "number", `alerts.${k}`);
  assert.equal(typeof inst.backups.enabled, "boolean");
  assert.equal(typeof inst.backups.schedule, "object");
  assert.notEqual(inst.backups.schedule, null);
  assert.deepEqual(inst.ipv4, ["203.0.113.11"]);
  assert.equal(inst.ipv6, "2001:db8:7700::65/128");
  assert.deepEqual(inst.tags, ["vpn-dev"]);
  assert.equal(typeof inst.watchdog_enabled, "boolean");

  // readResource: instanceNetwork.IPv4.Public/.Private/.Shared are dereferenced.
  const ips = (await f.call("GET", `linode/instances/${inst.id}/ips`)).json;
  for (const k of ["public", "private", "shared", "reserved"]) assert.ok(Array.isArray(ips.ipv4[k]), `ipv4.${k}`);
  assert.equal(ips.ipv4.public[0].address, "203.0.113.11");
  assert.equal(ips.ipv4.public[0].rdns, "203-0-113-11.ip.linodeusercontent.com");
  assert.equal(ips.ipv6.slaac.address, "2001:db8:7700::65");
  assert.equal(ips.ipv6.slaac.prefix, 64);
  assert.equal(typeof ips.ipv6.link_local.address, "string");
  assert.deepEqual(ips.ipv6.global, []);

  // flattenInstanceConfigs dereferences Devices and Helpers.
  const configs = (await f.call("GET", `linode/instances/${inst.id}/configs`)).json;
  assert.equal(configs.results, 1);
  assert.equal(typeof configs.data[0].devices, "object");
  assert.equal(typeof configs.data[0].helpers.network, "boolean");
  const disks = (await f.call("GET", `linode/instances/${inst.id}/disks`)).json;
  assert.deepEqual(
    disks.data.map((d: any) => d.filesystem),
    ["ext4", "swap"],
  );
  assert.equal(configs.data[0].devices.sda.disk_id, disks.data[0].id);
});

test("instance labels follow Linode's rules and are unique among the account's Linodes", async (t) => {
  const f = await world(t);
  for (const label of ["ab", "1vpn", "vpn--dev", "vpn__dev", "vpn..dev", "vpn dev", "x".repeat(65)]) {
    const r = await f.call("POST", "linode/instances", instanceArgs({ label }));
    assert.equal(r.status, 400, label);
    assert.equal(field(r), "label", label);
  }
  assert.equal((await f.call("POST", "linode/instances", instanceArgs({ label: `v${"x".repeat(63)}` }))).status, 200);
  const clash = await f.call("POST", "linode/instances", instanceArgs({ label: `v${"x".repeat(63)}` }));
  assert.equal(clash.status, 400);
  assert.match(clash.json.errors[0].reason, /unique among your Linodes/);
  assert.equal(f.created.length, 1, "a refused create makes no machine");
});

test("instance create refuses weak root_pass, unknown image/type/region, and metadata where unsupported", async (t) => {
  const f = await world(t);
  const cases: [Record<string, unknown>, string][] = [
    [{ root_pass: "aaaaaaaaaaaa" }, "root_pass"],
    [{ root_pass: "short1!" }, "root_pass"],
    [{ root_pass: undefined }, "root_pass"],
    [{ image: "linode/windows" }, "image"],
    [{ type: "g9-huge" }, "type"],
    [{ region: "eu-mars" }, "region"],
    [{ authorized_keys: ["not a key"] }, "authorized_keys[0]"],
    [{ tags: ["ab"] }, "tags[0]"],
    [{ region: "us-west", metadata: { user_data: Buffer.from("#cloud-config\n").toString("base64") } }, "metadata"],
    [{ image: "linode/alpine3.20", metadata: { user_data: Buffer.from("#cloud-config\n").toString("base64") } }, "metadata"],
    [{ metadata: { user_data: "not base64!" } }, "metadata.user_data"],
  ];
  for (const [over, want] of cases) {
    const r = await f.call("POST", "linode/instances", instanceArgs(over));
    assert.equal(r.status, 400, JSON.stringify(over));
    assert.equal(field(r), want, JSON.stringify(over));
  }
  assert.equal(f.created.length, 0);
});

test("errors: Bearer token required (401), unknown paths and gone objects 404, all as application/json", async (t) => {
  const f = await world(t);
  const res = await fetch(`${f.api.url}/v4/linode/instances`, { headers: { Authorization: "Bearer wrong" } });
  assert.equal(res.status, 401);
  // linodego errors.go compares Content-Type with Accept byte for byte.
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), { errors: [{ reason: "Invalid Token" }] });
  const none = await fetch(`${f.api.url}/v4/linode/instances`);
  assert.equal(none.status, 401);
  for (const p of [
    "linode/instances/999",
    "networking/firewalls/1",
    "domains/1700/records/5",
    "networking/ips/198.51.100.1",
    "networking/ipv6/ranges/2001:db8::",
    "nonsense/path",
    "domains/abc",
  ]) {
    const r = await f.call("GET", p);
    assert.equal(r.status, 404, p);
    assert.equal(r.type, "application/json", p);
    assert.deepEqual(r.json, { errors: [{ reason: "Not found" }] }, p);
  }
});

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

test("delete: the linode_delete event is new to the poller and finishes only when the machine is destroyed", async (t) => {
  const f = await world(t);
  const inst = await running(f);
  // linodego waitfor.go EventPoller.PreTask and WaitForLatestUnknownEvent send this filter.
  const filter = JSON.stringify({
    "+order_by": "created",
    "+order": "desc",
    "+and": [{ "entity.type": "linode" }, { "entity.id": inst.id }, { action: "linode_delete" }],
  });
  const before = (await f.call("GET", "account/events?page=1", undefined, { "X-Filter": filter })).json;
  assert.equal(before.results, 0);
  f.holdDestroy = deferred();
  assert.equal((await f.call("DELETE", `linode/instances/${inst.id}`)).status, 200);
  assert.equal((await f.call("GET", `linode/instances/${inst.id}`)).status, 404, "gone from the API at once");
  const after = (await f.call("GET", "account/events?page=1", undefined, { "X-Filter": filter })).json;
  assert.equal(after.results, 1);
  const ev = after.data[0];
  assert.match(ev.created, TIME);
  assert.deepEqual(ev.entity, { id: inst.id, label: inst.label, type: "linode", url: `/v4/linode/instances/${inst.id}` });
  assert.equal((await f.call("GET", `account/events/${ev.id}`)).json.status, "started");
  f.holdDestroy.resolve();
  await f.api.idle();
  assert.deepEqual(f.destroyed, [inst.id]);
  assert.equal((await f.call("GET", `account/events/${ev.id}`)).json.status, "finished");
  // The flat filter form selects the same event; other actions are excluded.
  const flat = (
    await f.call("GET", "account/events", undefined, { "X-Filter": JSON.stringify({ "entity.id": inst.id, "entity.type": "linode", action: "linode_delete" }) })
  ).json;
  assert.deepEqual(
    flat.data.map((e: any) => e.id),
    [ev.id],
  );
  const creates = (await f.call("GET", "account/events", undefined, { "X-Filter": JSON.stringify({ action: "linode_create", "entity.id": inst.id }) })).json;
  assert.equal(creates.data[0].status, "finished");
  const since = (await f.call("GET", "account/events", undefined, { "X-Filter": JSON.stringify({ id: { "+gte": ev.id } }) })).json;
  assert.ok(since.data.every((e: any) => e.id >= ev.id));
  // The label is free again at once.
  assert.equal((await f.call("POST", "linode/instances", instanceArgs())).status, 200);
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

test("regions: capabilities and the objects the regions data source reads", async (t) => {
  const f = await world(t);
  const list = (await f.call("GET", "regions")).json;
  assert.deepEqual(
    list.data.map((r: any) => r.id),
    ["us-east", "us-west"],
  );
  const r = (await f.call("GET", "regions/us-east")).json;
  assert.ok(r.capabilities.includes("Metadata"));
  assert.equal(typeof r.resolvers.ipv4, "string");
  assert.equal(r.status, "ok");
  assert.ok(Array.isArray(r.monitors.alerts));
  const filtered = (await f.call("GET", "regions", undefined, { "X-Filter": JSON.stringify({ capabilities: "Metadata" }) })).json;
  assert.deepEqual(
    filtered.data.map((x: any) => x.id),
    ["us-east"],
  );
  assert.equal((await f.call("GET", "regions/eu-mars")).status, 404);
});

test("images: an id is found with its slash escaped (as linodego asks) or plain; unknown ids 404", async (t) => {
  const f = await world(t);
  // linodego escapes path parameters (images.go GetImage: url.PathEscape), so the
  // provider's getImage asks for images/linode%2Fdebian12; the real API answers both.
  const escaped = await f.call("GET", "images/linode%2Fdebian12");
  assert.equal(escaped.status, 200);
  assert.equal(escaped.json.id, "linode/debian12");
  assert.equal((await f.call("GET", "images/linode/debian12")).json.id, "linode/debian12");
  assert.equal((await f.call("GET", "images/linode%2Fdebain12")).status, 404);
});

test("requests are recorded with method, path, query and X-Filter, secrets redacted", async (t) => {
  const f = await world(t);
  const secretUserData = Buffer.from("#cloud-config\nssh_keys:\n  ed25519_private: PRIVATE-KEY-MATERIAL\n").toString("base64");
  await f.call("POST", "linode/instances", instanceArgs({ metadata: { user_data: secretUserData } }));
  await f.call("GET", "domains?page=1", undefined, { "X-Filter": JSON.stringify({ domain: ZONE }) });
  const post = f.api.requests.find((r) => r.method === "POST")!;
  assert.equal(post.path, "/v4/linode/instances");
  assert.equal(post.status, 200);
  const body = post.body as any;
  assert.equal(body.root_pass, "[redacted]");
  assert.equal(body.metadata.user_data, "[redacted]");
  assert.deepEqual(body.authorized_keys, [KEY], "public keys stay visible");
  const all = JSON.stringify(f.api.requests) + JSON.stringify(f.api.state());
  assert.ok(!all.includes(PASS), "root_pass never recorded");
  assert.ok(!all.includes(secretUserData) && !all.includes("PRIVATE-KEY-MATERIAL"), "user data never recorded");
  const get = f.api.requests.find((r) => r.path === "/v4/domains")!;
  assert.deepEqual(get.query, { page: "1" });
  assert.equal(get.filter, JSON.stringify({ domain: ZONE }));
});
