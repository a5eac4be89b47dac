// The local Linode API (test/engine/world/api) against what linodego and the
// provider need, with in-memory backends (./linode-world-fixture.ts): instances,
// their deletion, errors, regions, images and the request log. Each shape check
// names the source that makes it necessary. Firewalls, DNS and IPv6 ranges:
// linode-world-api-network.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "../lib/wait";
import { deferred, field, instanceArgs, KEY, PASS, running, TIME, ZONE, world } from "./linode-world-fixture";

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
