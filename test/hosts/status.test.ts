// `npm run status` against a real Debian 12 host provisioned by the rendered
// steps, with real clients connected through it: over SSH with the pinned host
// key (the host's own ED25519 key, as the stack's `servers` output will hold it),
// the one read-only script, the report. Counters grow after traffic, a
// disconnected client disappears, a wrong host key is refused before anything
// runs, a region that is down is reported as such, and nothing secret is printed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RegionStatus, StatusDocument } from "../../model/status/document";
import { statusOf } from "../../scripts/status";
import { StackView } from "../../scripts/status/stack";
import { findPulumi } from "../../scripts/lib/findPulumi";
import type { VpnClient } from "../lib/client";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { inNs, runOk } from "../lib/exec";
import { createPki, TestPki } from "../lib/pki";
import { waitFor } from "../lib/wait";
import { startClientOf } from "./lib/clients";
import { TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { HOSTNAME, renderFor, runSteps, User } from "./lib/region";
import { ensureRootfs, Rootfs } from "./lib/rootfs";
import { createSshKey, SshKey } from "./lib/ssh";

const log = (msg: string) => console.log(`[hosts/status] ${msg}`);

const alice: User = { name: "alice", password: "alice-Passw0rd-for-status" };
const bob: User = { name: "bob", password: "bob-Passw0rd-for-status", staticIpv4: "10.47.83.50" };
const REGION = "us-test";
const REPO = join(__dirname, "..", "..");

describe("npm run status against a provisioned Debian 12 host with clients", { timeout: 600_000 }, () => {
  let dir: string;
  let lab: Lab;
  let rootfs: Rootfs;
  let key: SshKey;
  let esp: EspBackend;
  let pki: TestPki;
  let host: TestHost;
  let view: StackView;
  const clients: VpnClient[] = [];

  async function client(user: User): Promise<VpnClient> {
    const c = await startClientOf(lab, host, user, pki.rootPem, esp, dir);
    clients.push(c);
    return c;
  }

  async function status(v: StackView = view): Promise<RegionStatus> {
    const doc = await statusOf(v, { stack: "hosts" });
    assert.equal(doc.regions.length, 1);
    return doc.regions[0];
  }

  /** Sends `count` pings of 1000 bytes from the client through the tunnel to the upstream. */
  async function traffic(c: VpnClient, count: number): Promise<void> {
    await runOk(inNs(c.ns, ["ping", "-n", "-q", "-c", String(count), "-i", "0.2", "-s", "1000", "-W", "2", NET.upstreamV4]), { timeoutMs: 30_000 });
  }

  const user = (s: RegionStatus, name: string) => s.users?.find((u) => u.user === name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-status-"));
    esp = await detectEspBackend();
    [rootfs, key, pki] = await Promise.all([ensureRootfs(log), createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    lab = await Lab.create(log);
    host = await TestHost.create({ lab, rootfs, key, index: 0, libipsec: esp === "libipsec", log });
    await lab.routeV6RangeTo(host.index);
    await runSteps(host, renderFor(host, [alice, bob], pki));
    // What the stack's `servers` output holds for this region: the host's ED25519 key (the
    // stack generates it and hands it over as user data; here the clone generated its own).
    const hostKey = readFileSync(join(host.root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim();
    view = {
      servers: { [REGION]: { hostname: HOSTNAME, host: host.v4, user: "root", privateKey: readFileSync(key.privateKeyFile, "utf8"), hostKey } },
      regions: { [REGION]: { hostname: HOSTNAME, certificateNotAfter: new Date(new X509Certificate(pki.certificate.certPem).validTo).toISOString() } },
    };
  });

  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await host?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a healthy server with nobody online", async () => {
    const started = Date.now();
    const s = await status();
    log(`status of an idle host: ${Date.now() - started} ms: ${JSON.stringify({ strongswan: s.strongswan, updates: s.updates, warnings: s.warnings })}`);
    assert.equal(s.reachable, true, s.error ?? "");
    assert.equal(s.strongswan?.charonRunning, true);
    assert.equal(s.strongswan?.service, "active");
    assert.match(s.strongswan?.version ?? "", /^5\.9\./, "Debian 12's strongSwan");
    assert.ok((s.uptimeSeconds ?? 0) > 0);
    assert.deepEqual(s.users, []);
    // The pools of the rendered layout (names from model/server/pools.ts): dynamic v4 ranges around bob's address, v6, bob's own.
    const names = s.pools?.map((p) => p.name) ?? [];
    assert.ok(names.includes("pool-v6") && names.includes("static-v4-50") && names.filter((n) => n.startsWith("pool-v4-")).length === 2, `pools: ${names}`);
    assert.ok(
      s.pools?.every((p) => p.online === 0 && p.size > 0),
      "nobody holds an address",
    );
    assert.equal(s.certificate?.servedFrom, "charon");
    assert.equal(s.certificate?.fileMatchesLoaded, true);
    assert.equal(s.certificate?.matchesStack, true, "the server serves the stack's certificate");
    assert.deepEqual(s.certificate?.served?.dnsNames, [HOSTNAME]);
    assert.equal(s.updates?.unattendedUpgrades.installed, true, "the image has unattended-upgrades");
    assert.notEqual(s.updates?.pending, null, "apt answered the simulation");
    assert.deepEqual(
      s.warnings.filter((w) => !/security update|reboot required/.test(w)),
      [],
    );
  });

  test("connected users with their addresses; counters grow after traffic", async () => {
    const a = await client(alice);
    const b = await client(bob);
    await a.connectOrThrow();
    await b.connectOrThrow();
    const first = await status();
    assert.deepEqual(
      first.users?.map((u) => u.user),
      ["alice", "bob"],
    );
    const sa = user(first, "alice")!.sessions[0];
    assert.equal(sa.remoteAddress, a.host.v4, "the device's public address");
    assert.ok(sa.remotePort, "and its port");
    assert.equal(sa.virtualIpv4, a.vips.v4);
    assert.equal(sa.virtualIpv6, a.vips.v6);
    assert.equal(user(first, "bob")!.sessions[0].virtualIpv4, bob.staticIpv4);
    assert.equal(first.pools?.find((p) => p.name === "static-v4-50")?.online, 1);

    await traffic(a, 10);
    const second = await status();
    const before = user(first, "alice")!.totals;
    const now = user(second, "alice")!.totals;
    assert.ok(now.bytesIn >= before.bytesIn + 10 * 1000, `alice's bytes in grew by the pings: ${before.bytesIn} -> ${now.bytesIn}`);
    assert.ok(now.packetsIn >= before.packetsIn + 10, `packets in: ${before.packetsIn} -> ${now.packetsIn}`);
    assert.ok(now.bytesOut >= before.bytesOut + 10 * 1000, `bytes out (the replies): ${before.bytesOut} -> ${now.bytesOut}`);
    assert.equal(user(second, "bob")!.totals.bytesIn, user(first, "bob")!.totals.bytesIn, "bob sent nothing");
  });

  test("a disconnected client disappears", async () => {
    const b = clients.find((c) => c.spec.user === "bob")!;
    await b.disconnect();
    const s = await waitFor(
      async () => {
        const x = await status();
        return user(x, "bob") === undefined ? x : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: "bob gone from the status" },
    );
    assert.deepEqual(
      s.users?.map((u) => u.user),
      ["alice"],
    );
  });

  test("a wrong host key is refused before anything runs", async () => {
    const other = await createSshKey(join(dir, "not-the-host"));
    const wrong: StackView = { ...view, servers: { [REGION]: { ...view.servers[REGION], hostKey: other.publicKey.trim() } } };
    const marker = "/root/status-script-ran";
    const probe = `touch ${marker}`;
    const refused = (await statusOf(wrong, { script: probe })).regions[0];
    assert.equal(refused.reachable, false);
    assert.match(refused.error ?? "", /^host key mismatch: 198\.51\.100\.10 did not present the pinned host key SHA256:/);
    assert.equal((await host.ssh(`test -e ${marker}`)).code, 1, "the command never ran");
    // The same probe with the right key does run: the check above could fail.
    await statusOf(view, { script: `${probe}; echo '@@format 1'; echo '@@end 1'` });
    assert.equal((await host.ssh(`test -e ${marker} && rm ${marker}`)).code, 0);
  });

  test("the CLI: JSON document, a region that is down, exit codes, no secret, no key left behind", async () => {
    const file = join(dir, "outputs.json");
    const down = { ...view.servers[REGION], host: NET.hostV4(9) }; // nobody there
    const outputs = { servers: { ...view.servers, "us-down": down }, regions: view.regions };
    writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
    const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith("vpn-status-"));
    const cli = spawnSync(
      process.execPath,
      ["--require", "ts-node/register/transpile-only", "scripts/status.ts", "--outputs-json", file, "--json", "--connect-timeout", "3"],
      {
        cwd: REPO,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    assert.equal(cli.status, 1, `a region down: exit 1 (stderr: ${cli.stderr})`);
    const doc = JSON.parse(cli.stdout) as StatusDocument;
    assert.deepEqual(
      doc.regions.map((r) => [r.region, r.reachable]),
      [
        ["us-down", false],
        [REGION, true],
      ],
    );
    assert.match(doc.regions[0].error ?? "", /^cannot reach 198\.51\.100\.19 over SSH: .*(timed out|No route|unreachable)/i);
    assert.deepEqual(
      doc.regions[1].users?.map((u) => u.user),
      ["alice"],
    );
    for (const secret of [alice.password, bob.password, "PRIVATE KEY", readFileSync(key.privateKeyFile, "utf8").split("\n")[1]]) {
      assert.ok(!cli.stdout.includes(secret) && !cli.stderr.includes(secret), "no secret in the output");
    }
    assert.deepEqual(
      readdirSync(tmpdir()).filter((f) => f.startsWith("vpn-status-")),
      tmpBefore,
      "the key's temp dir is gone",
    );

    const only = spawnSync(
      process.execPath,
      ["--require", "ts-node/register/transpile-only", "scripts/status.ts", "--outputs-json", file, "--region", REGION],
      { cwd: REPO, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(only.status, 0, only.stderr);
    assert.match(only.stdout, /^us-test {2}vpn\.hosts\.example\.test {2}198\.51\.100\.10 {2}reachable/m);
    assert.match(only.stdout, /^ {4}alice +198\.51\.100\.\d+:\d+ +10\.47\.83\.\d+ +2001:db8:/m);
    log(`the table:\n${only.stdout}`);
  });

  test(
    "--stack reads the outputs with the Pulumi CLI (a local-backend stack holding them; servers encrypted)",
    { skip: findPulumi() ? false : "no Pulumi CLI here" },
    async () => {
      // Not the project's stack: a throwaway project in a temp dir whose state is
      // imported, so no program runs. Secret outputs use the engine's marker and
      // are encrypted with the passphrase on import.
      const pulumi = findPulumi()!;
      const proj = join(dir, "pulumi-project");
      mkdirSync(proj);
      writeFileSync(join(proj, "Pulumi.yaml"), "name: status-cli-check\nruntime: nodejs\n");
      const env = {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${join(dir, "pulumi-backend")}`,
        PULUMI_CONFIG_PASSPHRASE: "status-test-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "1",
        TS_NODE_PROJECT: join(REPO, "tsconfig.json"),
      };
      mkdirSync(join(dir, "pulumi-backend"));
      const cli = (args: string[]) => spawnSync(pulumi, args, { cwd: proj, env, encoding: "utf8" });
      assert.equal(cli(["stack", "init", "t", "--non-interactive"]).status, 0);
      const state = JSON.parse(cli(["stack", "export", "--stack", "t"]).stdout);
      const SECRET = "1b47061264138c4ac30d75fd1eb44270"; // the engine's secret signature (sdk/go/common/resource/sig)
      state.deployment.resources = [
        {
          urn: "urn:pulumi:t::status-cli-check::pulumi:pulumi:Stack::status-cli-check-t",
          custom: false,
          type: "pulumi:pulumi:Stack",
          outputs: {
            servers: { "4dabf18193072939515e22adb298388d": SECRET, plaintext: JSON.stringify(view.servers) },
            regions: view.regions,
            certificateNotAfter: { [REGION]: view.regions[REGION].certificateNotAfter },
          },
        },
      ];
      writeFileSync(join(proj, "state.json"), JSON.stringify(state), { mode: 0o600 });
      const imported = cli(["stack", "import", "--stack", "t", "--file", "state.json"]);
      assert.equal(imported.status, 0, imported.stderr);
      rmSync(join(proj, "state.json"));
      const status = (args: string[]) =>
        spawnSync(process.execPath, ["--require", join(REPO, "node_modules/ts-node/register/transpile-only"), join(REPO, "scripts/status.ts"), ...args], {
          cwd: proj,
          env,
          encoding: "utf8",
          timeout: 120_000,
        });
      const ok = status(["--stack", "t", "--json"]);
      assert.equal(ok.status, 0, ok.stderr);
      const doc = JSON.parse(ok.stdout) as StatusDocument;
      assert.equal(doc.stack, "t");
      assert.equal(doc.regions[0].reachable, true, doc.regions[0].error ?? "");
      assert.equal(doc.regions[0].certificate?.matchesStack, true);
      const missing = status(["--stack", "nope"]);
      assert.deepEqual([missing.status, missing.stderr.trim()], [2, "status: stack nope does not exist (pulumi: no stack named 'nope' found)"]);
      const region = status(["--stack", "t", "--region", "eu-nowhere"]);
      assert.deepEqual([region.status, region.stderr.trim()], [2, `status: region eu-nowhere is not in the stack (regions: ${REGION})`]);
    },
  );
});
