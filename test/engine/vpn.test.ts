// The real `pulumi` CLI, the real provider plugins (linode, command, tls, random at
// the versions the npm SDKs declare) and the program's dynamic provider, against the
// local Linode world (test/engine/world): preview, a first up to a VPN in use, a
// no-op up, a user change, a one-key diff, a VM replacement, destroy, a bad stack
// file, two stacks at once. Skipped, loudly, where the CLI or a plugin is missing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "../lib/wait";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VpnClient } from "../lib/client";
import { detectEspBackend } from "../lib/esp";
import type { ClientHost, Topology } from "../lib/netns";
import { probeTcp } from "../lib/upstream";
import { inventory, missingForEngine } from "./lib/cli";
import { recordFigures, UPGRADE_FIGURE } from "./lib/figures";
import { EngineStack } from "./lib/stack";
import { startWorld, World } from "./world/world";
import { statusOfOutputs } from "../../scripts/status";
import { UPGRADE_MARKER } from "../../model/steps";

const inv = inventory();
const missing = process.getuid?.() !== 0 ? "needs root (namespaces, containers)" : missingForEngine(inv);
if (missing) console.log(`engine: SKIPPED — ${missing}`);

const WRITES = new Set(["POST", "PUT", "DELETE"]);
const INSTANCE = "linode:index/instance:Instance";

/** Stack config for one region; the world provides zone, ACME server and API. */
function stackConfig(world: World, host: string, users: string[], region = "us-ord"): Record<string, string> {
  return {
    "vpn:zone": world.zones[0],
    "vpn:hostname": `${host}.${world.zones[0]}`,
    "vpn:region": region,
    "vpn:acmeServer": world.acmeDirectory,
    // The DNS-01 wait looks for the zone's name servers through this resolver: this
    // machine's own resolver does not know the sandbox zone (as in the README's sandbox).
    "vpn:acmeDnsResolvers[0]": world.dnsServer,
    "linode:url": world.url,
    // The provider polls events every 4 s by default; the world answers at once.
    "linode:eventPollMs": "500",
    ...Object.fromEntries(users.map((u, i) => [`vpn:users[${i}]`, u])),
  };
}

/** A device configured only from the stack's swanctl profile plus the sandbox CA. */
async function deviceFor(world: World, profile: string, child: string, user: string, password: string, rootPem: string, dir: string): Promise<VpnClient> {
  const ns = await world.addClient();
  const host: ClientHost = { ns: ns.name, index: ns.index, v4: ns.v4, v6: ns.v6 };
  const topology = { upstream: world.upstream.ns, removeClientHost: async () => world.removeClient(ns) } as unknown as Topology;
  const client = new VpnClient(topology, host, join(dir, `${ns.name}-${user}`), { user, password, swanctlConf: profile, childName: child, trustedRootPem: rootPem }, await detectEspBackend());
  await client.start();
  return client;
}

/** The install step's report of the first-provisioning upgrade (its stdout, kept in the state). */
const UPGRADE_LINE = /updates: (\d+) installed in (\d+)s \(([^)]*)\)/;

describe("the real pulumi engine on the local Linode", { skip: missing, concurrency: false }, () => {
  let world: World;
  let dev: EngineStack;
  const clients: VpnClient[] = [];
  const dir = mkdtempSync(join(tmpdir(), "vpn-engine-clients-"));
  const timings: Record<string, number> = {};

  /** The one instance's root, read from this side (the instance is an overlayfs clone). */
  const instanceRoot = () => {
    const all = world.instances();
    assert.equal(all.length, 1, JSON.stringify(all));
    return world.instance(all[0].id)!.root;
  };
  /** apt runs that changed packages on the instance ("Start-Date:" entries of apt's history). */
  const aptRuns = () => {
    const f = join(instanceRoot(), "var/log/apt/history.log");
    return existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("Start-Date:")).length : 0;
  };
  /** The install step's stdout, as the Command resource keeps it in the state. */
  const installOutput = async () => {
    const r = (await dev.resources()).find((x) => x.urn.endsWith("-02-install-packages"));
    assert.ok(r, "the install step is in the state");
    return String(r.outputs?.stdout ?? "");
  };
  /** `npm run status` for the stack (its outputs, as the CLI reads them): the region's pending updates. */
  const updates = async () => (await statusOfOutputs(await dev.outputs(), { stack: "dev" })).regions[0].updates;

  before(async () => {
    world = await startWorld({ log: (m) => console.log(m) });
    dev = new EngineStack(inv.pulumi!, "dev", { world });
    await dev.init(stackConfig(world, "vpn", ["alice", "bob"]), { "vpn:passwords.alice": "alice-Passw0rd-1", "vpn:passwords.bob": "bob-Passw0rd-1", "linode:token": world.token });
  });

  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    if (dev) {
      if (world?.instances().length) await dev.run(["destroy", "--yes"]);
      dev.remove();
    }
    await world?.stop();
    recordFigures({ flow: "vpn", at: new Date().toISOString(), pulumi: inv.version, timings: { ...(dev?.timings ?? {}), ...timings }, phases: dev?.phases });
  });

  test("preview of an empty stack lists the creates and writes nothing", async () => {
    const before = world.requests.length;
    const steps = await dev.plan([], "preview");
    assert.ok(steps.some((s) => s.op === "create" && s.type === INSTANCE), JSON.stringify(steps.map((s) => [s.op, s.type])));
    const writes = world.requests.slice(before).filter((r) => WRITES.has(r.method));
    assert.deepEqual(writes, [], "preview sent write requests");
    assert.equal(world.instances().length, 0, "no instance (so nothing to SSH into)");
    assert.ok(!Object.values(world.records()).flat().some((r) => r.type === "TXT"), "no ACME TXT record");
  });

  test("the first up gives a VPN a device configured from the stack's profile uses over v4 and v6", async () => {
    const started = Date.now();
    // As a user runs it (the preview first, then the update): the figures are the user's.
    await dev.ok(["up", "--yes"], "up");
    const install = await installOutput();
    const upgraded = UPGRADE_LINE.exec(install);
    assert.ok(upgraded, `the install step upgraded the new server:\n${install}`);
    timings[UPGRADE_FIGURE] = Number(upgraded[2]) * 1000;
    console.log(`first up: ${upgraded[1]} updates in ${upgraded[2]} s (${upgraded[3]})`);
    const out = await dev.outputs();
    const region = out.regions["us-ord"];
    const c = await deviceFor(world, out.profiles.alice["us-ord"].linuxSwanctl, "vpn-us-ord", "alice", "alice-Passw0rd-1", readFileSync(world.caFile, "utf8"), dir);
    clients.push(c);
    await c.connectOrThrow(30);
    timings["first up until connected"] = Date.now() - started;
    assert.ok(c.vips.v4 && c.vips.v6, `vips ${JSON.stringify(c.vips)}`);
    assert.ok(c.vips.v6!.startsWith(region.ipv6Range.split("::")[0]), `${c.vips.v6} inside ${region.ipv6Range}`);
    const v4 = await probeTcp(c.ns, world.upstream.v4, { port: world.upstream.port });
    const v6 = await probeTcp(c.ns, world.upstream.v6, { port: world.upstream.port });
    assert.ok(v4.ok && v6.ok, `upstream over v4 ${v4.answer}, v6 ${v6.answer}`);
    assert.equal(v4.answer, region.ipv4, "IPv4 leaves NATed to the server");
    assert.equal(v6.answer, c.vips.v6, "IPv6 is routed, not NATed");
  });

  test("after the first up, status shows no pending update (0 security)", async () => {
    const u = await updates();
    assert.equal(u?.security, 0, JSON.stringify(u));
    assert.equal(u?.pending, 0, JSON.stringify(u));
    assert.match(readFileSync(join(instanceRoot(), UPGRADE_MARKER.slice(1)), "utf8"), /^upgraded /);
  });

  test("a second up changes nothing and runs no remote step, so no upgrade", async () => {
    const apt = aptRuns();
    const r = await dev.ok(["up", "--yes", "--expect-no-changes"], "no-op up");
    assert.doesNotMatch(r.stdout, /command:remote:Command.*(creat|updat|replac)/i);
    assert.equal(aptRuns(), apt, "apt changed nothing on the server");
  });

  test("a one-key change previews as only that change", async () => {
    await dev.ok(["config", "set", "vpn:onDemand", "always"]);
    const steps = (await dev.plan(["--diff"])).filter((s) => s.op !== "same");
    assert.deepEqual(steps, [], "vpn:onDemand changes profiles (outputs) only");
    await dev.ok(["config", "set", "vpn:onDemand", "off"]);
  });

  test("adding a user and changing a password: only push and apply run, the connected SA survives", async () => {
    const sa = await clients[0].ikeSa();
    await dev.ok(["config", "set", "--path", "vpn:users[2]", "carol"]);
    await dev.ok(["config", "set", "--secret", "--path", "vpn:passwords.bob", "bob-Passw0rd-2"]);
    const changed = (await dev.plan()).filter((s) => s.op !== "same" && (s.type.startsWith("command:") || s.type === INSTANCE));
    assert.deepEqual(changed.map((s) => s.urn.split("::").pop()!.replace(/^.*-(\d\d-[a-z-]+)$/, "$1")).sort(), ["03-push-files", "04-apply"]);
    const apt = aptRuns();
    await dev.ok(["up", "--yes"], "user-add up");
    assert.equal(aptRuns(), apt, "a user change never waits on apt");
    assert.equal((await clients[0].ikeSa())?.uniqueId, sa?.uniqueId, "alice's IKE_SA survived");
    const out = await dev.outputs();
    const root = readFileSync(world.caFile, "utf8");
    const carol = await deviceFor(world, out.profiles.carol["us-ord"].linuxSwanctl, "vpn-us-ord", "carol", out.passwords.carol, root, dir);
    clients.push(carol);
    await carol.connectOrThrow(30);
    const oldBob = out.profiles.bob["us-ord"].linuxSwanctl.split(Buffer.from("bob-Passw0rd-2").toString("hex")).join(Buffer.from("bob-Passw0rd-1").toString("hex"));
    const bob = await deviceFor(world, oldBob, "vpn-us-ord", "bob", "bob-Passw0rd-1", root, dir);
    clients.push(bob);
    assert.equal((await bob.connect(20)).ok, false, "the old password is refused");
  });

  test("a lost phone: npm run users -- rotate ends that user's live session in the same up; the old password is refused, the new one works, alice's SA survives", async () => {
    const carol = clients.find((c) => c.spec.user === "carol")!;
    assert.ok(await carol.ikeSa(), "carol is connected before the rotation");
    const aliceSa = (await clients[0].ikeSa())?.uniqueId;
    const oldPassword = (await dev.outputs()).passwords.carol;
    const r = await dev.script("users", ["rotate", "carol", "--stack", "dev", "--yes"]);
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(oldPassword), "no password printed");
    const out = await dev.outputs();
    assert.notEqual(out.passwords.carol, oldPassword, "carol has a new generated password");
    await waitFor(async () => (await carol.ikeSa())?.state !== "ESTABLISHED" || undefined, { timeoutMs: 60_000, what: "carol's session ended by the update" });
    assert.equal((await clients[0].ikeSa())?.uniqueId, aliceSa, "alice's IKE_SA survived");
    const root = readFileSync(world.caFile, "utf8");
    const stale = await deviceFor(world, out.profiles.carol["us-ord"].linuxSwanctl.split(Buffer.from(out.passwords.carol).toString("hex")).join(Buffer.from(oldPassword).toString("hex")), "vpn-us-ord", "carol", oldPassword, root, dir);
    clients.push(stale);
    assert.equal((await stale.connect(20)).ok, false, "the lost phone's password is refused");
    const fresh = await deviceFor(world, out.profiles.carol["us-ord"].linuxSwanctl, "vpn-us-ord", "carol", out.passwords.carol, root, dir);
    clients.push(fresh);
    await fresh.connectOrThrow(30);
  });

  test("replacing the VM succeeds in one up and the VPN works after it", async () => {
    const old = (await dev.resources()).find((r) => r.type === INSTANCE)!;
    await dev.ok(["up", "--yes", "--replace", old.urn], "replace up");
    assert.match(await installOutput(), UPGRADE_LINE, "the new VM is upgraded before it serves anyone");
    const u = await updates();
    assert.equal(u?.security, 0, `after the replacement: ${JSON.stringify(u)}`);
    const now = (await dev.resources()).find((r) => r.type === INSTANCE)!;
    assert.notEqual(now.id, old.id);
    const out = await dev.outputs();
    const c = await deviceFor(world, out.profiles.alice["us-ord"].linuxSwanctl, "vpn-us-ord", "alice", "alice-Passw0rd-1", readFileSync(world.caFile, "utf8"), dir);
    clients.push(c);
    await c.connectOrThrow(30);
  });

  test("destroy leaves nothing in the world", async () => {
    await dev.ok(["destroy", "--yes"], "destroy");
    const s = world.status();
    assert.deepEqual(s.instances, []);
    assert.deepEqual(s.firewalls, []);
    assert.deepEqual(Object.values(s.records).flat(), []);
    const state = world.api.state() as { ranges?: unknown[]; rdns?: Record<string, unknown> };
    assert.deepEqual(state.ranges ?? [], []);
  });

  test("a bad stack file fails preview with the program's message and creates nothing", async () => {
    const bad = new EngineStack(inv.pulumi!, "bad", { world });
    try {
      await bad.init({ ...stackConfig(world, "bad", ["al ice"]) }, { "linode:token": world.token });
      const before = world.requests.length;
      const r = await bad.run(["preview"]);
      assert.notEqual(r.status, 0);
      assert.match(r.stdout + r.stderr, /vpn:users\[0\]: .*letters, digits/);
      assert.deepEqual(world.requests.slice(before).filter((q) => WRITES.has(q.method)), []);
    } finally {
      bad.remove();
    }
  });

  test("two stacks (dev and a 40-character name) come up and tear down side by side", async () => {
    // Its own backend: another team's `dev` of the same project in the same Linode account.
    const a = new EngineStack(inv.pulumi!, "dev", { world, ownBackend: true });
    const b = new EngineStack(inv.pulumi!, "a-forty-character-stack-name-for-labels1", { world });
    try {
      await a.init(stackConfig(world, "a", ["alice"]), { "linode:token": world.token });
      await b.init(stackConfig(world, "b", ["alice"]), { "linode:token": world.token });
      await Promise.all([a.ok(["up", "--yes", "--skip-preview"]), b.ok(["up", "--yes", "--skip-preview"])]);
      const labels = world.instances().map((i) => i.label);
      assert.equal(new Set(labels).size, 2, `distinct labels ${labels}`);
      await Promise.all([a.ok(["destroy", "--yes", "--skip-preview"]), b.ok(["destroy", "--yes", "--skip-preview"])]);
      assert.deepEqual(world.instances(), []);
    } finally {
      a.remove();
      b.remove();
    }
  });
});
