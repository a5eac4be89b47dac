// The real `pulumi` CLI, the real provider plugins (linode, command, tls, random at
// the versions the npm SDKs declare) and the program's dynamic provider, against the
// local Linode world (test/engine/world): preview, a first up to a VPN in use, a
// no-op up, a user change, a one-key diff, a password rotation, a one-time share
// link fetched by a device and connected with, a VM replacement, destroy, a bad
// stack file, two stacks at once. Skipped, loudly, where the CLI or a plugin is missing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "../lib/wait";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { VpnClient } from "../lib/client";
import { detectEspBackend } from "../lib/esp";
import { inNs, run } from "../lib/exec";
import type { ClientHost, Topology } from "../lib/netns";
import { probeTcp } from "../lib/upstream";
import { inventory, missingForEngine } from "./lib/cli";
import { recordFigures, UPGRADE_FIGURE } from "./lib/figures";
import { EngineStack } from "./lib/stack";
import { startWorld, World } from "./world/world";
import { statusOfOutputs } from "../../scripts/status";
import { runRemote } from "../../scripts/status/ssh";
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
  const client = new VpnClient(
    topology,
    host,
    join(dir, `${ns.name}-${user}`),
    { user, password, swanctlConf: profile, childName: child, trustedRootPem: rootPem },
    await detectEspBackend(),
  );
  await client.start();
  return client;
}

/**
 * GET `url` from namespace `ns` as a device on the Internet does: the name through the
 * namespace's resolver (the world's DNS; `ip netns exec` mounts its resolv.conf),
 * HTTPS trusting only `caFile` (no -k; an empty --capath so that no system CA
 * directory is consulted). The body lands in `out`.
 */
async function httpsGet(ns: string, url: string, caFile: string, out: string, family: "-4" | "-6") {
  const noCaDir = join(out, "..", "no-ca-dir");
  mkdirSync(noCaDir, { recursive: true });
  const argv = [
    "curl",
    "-sS",
    family,
    "--proto",
    "=https",
    "--max-time",
    "15",
    "--cacert",
    caFile,
    "--capath",
    noCaDir,
    "-o",
    out,
    "-w",
    "%{http_code} %{content_type}",
    url,
  ];
  const r = await run(inNs(ns, argv), { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `curl ${family} ${url.replace(/\/[A-Za-z0-9_-]{24}\//, "/<token>/")} from ${ns}: ${r.stderr}`);
  const [status, ...type] = r.stdout.trim().split(" ");
  return { status: Number(status), type: type.join(" "), body: existsSync(out) ? readFileSync(out) : Buffer.alloc(0) };
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
    return existsSync(f)
      ? readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l.startsWith("Start-Date:")).length
      : 0;
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
    await dev.init(stackConfig(world, "vpn", ["alice", "bob"]), {
      "vpn:passwords.alice": "alice-Passw0rd-1",
      "vpn:passwords.bob": "bob-Passw0rd-1",
      "linode:token": world.token,
    });
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
    assert.ok(
      steps.some((s) => s.op === "create" && s.type === INSTANCE),
      JSON.stringify(steps.map((s) => [s.op, s.type])),
    );
    const writes = world.requests.slice(before).filter((r) => WRITES.has(r.method));
    assert.deepEqual(writes, [], "preview sent write requests");
    assert.equal(world.instances().length, 0, "no instance (so nothing to SSH into)");
    assert.ok(
      !Object.values(world.records())
        .flat()
        .some((r) => r.type === "TXT"),
      "no ACME TXT record",
    );
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
    const c = await deviceFor(
      world,
      out.profiles.alice["us-ord"].linuxSwanctl,
      "vpn-us-ord",
      "alice",
      "alice-Passw0rd-1",
      readFileSync(world.caFile, "utf8"),
      dir,
    );
    clients.push(c);
    await c.connectOrThrow(30);
    timings["first up until connected"] = Date.now() - started;
    assert.ok(c.vips.v4 && c.vips.v6, `vips ${JSON.stringify(c.vips)}`);
    assert.ok(c.vips.v6.startsWith(region.ipv6Range.split("::")[0]), `${c.vips.v6} inside ${region.ipv6Range}`);
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
    assert.deepEqual(
      changed
        .map((s) =>
          s.urn
            .split("::")
            .pop()!
            .replace(/^.*-(\d\d-[a-z-]+)$/, "$1"),
        )
        .sort(),
      ["03-push-files", "04-apply"],
    );
    const apt = aptRuns();
    await dev.ok(["up", "--yes"], "user-add up");
    assert.equal(aptRuns(), apt, "a user change never waits on apt");
    assert.equal((await clients[0].ikeSa())?.uniqueId, sa?.uniqueId, "alice's IKE_SA survived");
    const out = await dev.outputs();
    const root = readFileSync(world.caFile, "utf8");
    const carol = await deviceFor(world, out.profiles.carol["us-ord"].linuxSwanctl, "vpn-us-ord", "carol", out.passwords.carol, root, dir);
    clients.push(carol);
    await carol.connectOrThrow(30);
    const oldBob = out.profiles.bob["us-ord"].linuxSwanctl
      .split(Buffer.from("bob-Passw0rd-2").toString("hex"))
      .join(Buffer.from("bob-Passw0rd-1").toString("hex"));
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
    const stale = await deviceFor(
      world,
      out.profiles.carol["us-ord"].linuxSwanctl.split(Buffer.from(out.passwords.carol).toString("hex")).join(Buffer.from(oldPassword).toString("hex")),
      "vpn-us-ord",
      "carol",
      oldPassword,
      root,
      dir,
    );
    clients.push(stale);
    assert.equal((await stale.connect(20)).ok, false, "the lost phone's password is refused");
    const fresh = await deviceFor(world, out.profiles.carol["us-ord"].linuxSwanctl, "vpn-us-ord", "carol", out.passwords.carol, root, dir);
    clients.push(fresh);
    await fresh.connectOrThrow(30);
  });

  test("a one-time share link: npm run share prints it and its QR code (PNG 0600); a device on the Internet fetches the page and files by name over HTTPS trusting only the sandbox CA, each once, bytes as npm run profiles writes them; the fetched swanctl profile connects; --list shows the prefix and what was fetched, --revoke ends it; 443 open in the Cloud Firewall and on the server", async () => {
    const out = await dev.outputs();
    const region = out.regions["us-ord"];
    const hostname: string = region.hostname;
    assert.equal(hostname, `vpn.${world.zones[0]}`);
    const work = mkdtempSync(join(dir, "share-"));
    const png = join(work, "q.png");

    const made = await dev.script("share", ["--stack", "dev", "--user", "bob", "--ttl", "10m", "--png", png]);
    assert.equal(made.status, 0, `${made.stdout.slice(-3000)}\n${made.stderr.slice(-3000)}`);
    const link = new RegExp(`https://${hostname.replace(/\./g, "\\.")}/([A-Za-z0-9_-]{24})/`).exec(made.stdout);
    assert.ok(link, `a link in:\n${made.stdout}`);
    const [url, token] = link;
    const prefix = token.slice(0, 8);
    assert.equal(statSync(png).mode & 0o777, 0o600, "the PNG is 0600");
    const img = PNG.sync.read(readFileSync(png));
    assert.equal(
      jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height)?.data,
      url,
      "the PNG decodes to the link",
    );

    // What `npm run profiles` writes for bob in us-ord: the files a link must hand out byte for byte.
    const profiles = await dev.script("profiles", ["--stack", "dev", "--out", join(work, "profiles")]);
    assert.equal(profiles.status, 0, `${profiles.stdout.slice(-2000)}\n${profiles.stderr.slice(-2000)}`);
    const written = (file: string) => readFileSync(join(work, "profiles", "us-ord", "profiles", "bob", file));

    // The 443 rule in the Cloud Firewall the world enforces; on the server (over the stack's
    // pinned SSH, as status and share connect): nftables opens 443, nginx listens on 443 and nothing on 80.
    const fw = world.firewalls();
    assert.equal(fw.length, 1, JSON.stringify(fw.map((f) => f.label)));
    assert.deepEqual(
      fw[0].inbound.filter((r) => r.label === "share-links"),
      [{ label: "share-links", action: "ACCEPT", protocol: "TCP", ports: "443", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] } }],
      JSON.stringify(fw[0].inbound),
    );
    const onServer = await runRemote(out.servers["us-ord"], "nft list ruleset; echo ---; ss -Hltn; echo ---; systemctl is-active nginx vpn-share-sweep.timer");
    assert.ok(onServer.ok, JSON.stringify(onServer));
    const [ruleset, listening, active] = onServer.stdout.split("---\n");
    assert.match(ruleset, /tcp dport 443 accept/);
    assert.match(listening, /:443\s/, listening);
    assert.doesNotMatch(listening, /:80\s/, `Debian's default site is gone: ${listening}`);
    assert.deepEqual(active.trim().split("\n"), ["active", "active"]);

    const ca = world.caFile; // Pebble's root: the only CA the device trusts
    const phone = await world.addClient();
    try {
      const fetched: Record<string, Buffer> = {};
      let n = 0;
      const get = (path: string, family: "-4" | "-6" = "-4") => httpsGet(phone.name, `${url}${path}`, ca, join(work, `got-${n++}`), family);

      const page = await get("");
      assert.equal(page.status, 200, page.body.toString());
      assert.match(page.type, /^text\/html\b/);
      const offered = [...page.body.toString().matchAll(/<a class="file" href="([^"]+)"/g)].map((m) => decodeURIComponent(m[1])).sort();
      // Apple devices get the signed profile when the stack signs them (it does here).
      const apple = out.profiles.bob["us-ord"].appleSigned ? "bob-signed.mobileconfig" : "bob.mobileconfig";
      assert.deepEqual(offered, [apple, "bob.nmconnection", "bob.ps1", "bob.sswan", "bob.swanctl.conf"].sort());

      // Every file but one (a link whose files are all fetched is gone, and --list shows
      // this one): the swanctl profile over IPv6, the others over IPv4.
      const kept = "bob.ps1";
      for (const file of offered.filter((f) => f !== kept)) {
        const r = await get(encodeURIComponent(file), file === "bob.swanctl.conf" ? "-6" : "-4");
        assert.equal(r.status, 200, `${file}: ${r.body.toString()}`);
        assert.ok(r.body.equals(written(file)), `${file}: the bytes npm run profiles writes`);
        fetched[file] = r.body;
      }
      const again = await get("bob.swanctl.conf");
      assert.equal(again.status, 404, "a file is served once");

      // The fetched profile is all the device has (and the sandbox CA, as a device has ISRG Root X1).
      const bob = await deviceFor(world, fetched["bob.swanctl.conf"].toString("utf8"), "vpn-us-ord", "bob", "bob-Passw0rd-2", readFileSync(ca, "utf8"), dir);
      clients.push(bob);
      await bob.connectOrThrow(30);
      const v4 = await probeTcp(bob.ns, world.upstream.v4, { port: world.upstream.port });
      const v6 = await probeTcp(bob.ns, world.upstream.v6, { port: world.upstream.port });
      assert.ok(v4.ok && v6.ok, `upstream over v4 ${v4.answer}, v6 ${v6.answer}`);
      assert.equal(v4.answer, region.ipv4, "IPv4 leaves NATed to the server");
      assert.equal(v6.answer, bob.vips.v6, "IPv6 is routed, not NATed");

      const listed = await dev.script("share", ["--stack", "dev", "--list", "--json"]);
      assert.equal(listed.status, 0, `${listed.stdout.slice(-2000)}\n${listed.stderr.slice(-2000)}`);
      assert.ok(!(listed.stdout + listed.stderr).includes(token), "--list never shows the whole token");
      const links = JSON.parse(listed.stdout).links as { region: string; prefix: string; user: string; files: string[]; fetched: string[] }[];
      assert.equal(links.length, 1, listed.stdout);
      assert.deepEqual(
        { ...links[0], files: [...links[0].files].sort(), fetched: [...links[0].fetched].sort() },
        { ...links[0], region: "us-ord", prefix, user: "bob", files: offered, fetched: Object.keys(fetched).sort() },
      );

      const revoked = await dev.script("share", ["--stack", "dev", "--revoke", prefix]);
      assert.equal(revoked.status, 0, `${revoked.stdout.slice(-2000)}\n${revoked.stderr.slice(-2000)}`);
      assert.match(revoked.stdout, /revoked 1 link/);
      assert.equal((await get("")).status, 404, "the page of a revoked link");
      assert.equal((await get(kept)).status, 404, "a file not yet fetched of a revoked link");

      // Not even the token's prefix is in nginx's logs on the server (address, time, status and size only).
      const logs = ["var/log/nginx/vpn-share.log", "var/log/nginx/vpn-share-error.log", "var/log/nginx/access.log", "var/log/nginx/error.log"]
        .map((f) => join(instanceRoot(), f))
        .filter((f) => existsSync(f));
      assert.match(readFileSync(join(instanceRoot(), "var/log/nginx/vpn-share.log"), "utf8"), / 200 /, "the share log has the fetches");
      for (const f of logs) assert.ok(!readFileSync(f, "utf8").includes(prefix), `${f} holds no token`);
    } finally {
      await world.removeClient(phone);
    }
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
    const c = await deviceFor(
      world,
      out.profiles.alice["us-ord"].linuxSwanctl,
      "vpn-us-ord",
      "alice",
      "alice-Passw0rd-1",
      readFileSync(world.caFile, "utf8"),
      dir,
    );
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
      assert.deepEqual(
        world.requests.slice(before).filter((q) => WRITES.has(q.method)),
        [],
      );
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
