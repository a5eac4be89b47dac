// The program's dynamic providers (ACME certificate, hostname guard) under the
// real engine, with no provider plugin: the engine serializes them into state,
// runs check/diff in preview and create/delete in up/destroy, against the local
// Linode world's API, BIND and Pebble. Catches what mocks cannot: closure
// serialization, secrets across the engine boundary, preview side effects, and a
// spurious diff from a provider that serializes differently each run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as acme from "acme-client";
import { cliEnv, inventory, missingCli } from "./lib/cli";
import { recordFigures } from "./lib/figures";
import { startWorld, World } from "./world/world";

const FIXTURE = join(__dirname, "fixtures", "dynamic");
const inv = inventory();
const missing = process.getuid?.() !== 0 ? "needs root (the world's namespaces and servers)" : missingCli(inv);
if (missing) console.log(`engine: SKIPPED dynamic — ${missing}`);

const WRITES = new Set(["POST", "PUT", "DELETE"]);
/** The label the fixture's guard knows as "this stack's VM". */
const OWN_LABEL = "vpn-dynamic-own";

describe("the dynamic providers under the real engine, against the local Linode world", { skip: missing, concurrency: false }, () => {
  let world: World;
  let env: NodeJS.ProcessEnv;
  const stack = `dynamic-${process.pid}`;
  const scratch = mkdtempSync(join(tmpdir(), "vpn-dynamic-"));
  let hostname = "";
  let domainId = 0;

  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings[label] = Date.now() - t;
    }
  };
  // Asynchronously: the world's API answers from this very process, so a blocking
  // spawnSync would leave the program's own API calls unanswered.
  const pulumi = (args: string[], input?: string) =>
    new Promise<{ status: number | null; stdout: string; out: string }>((resolve) => {
      const child = spawn(inv.pulumi!, [...args, "--stack", stack, "--non-interactive"], { cwd: FIXTURE, env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.stdin.end(input ?? "");
      const timer = setTimeout(() => child.kill("SIGTERM"), 10 * 60_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, out: `${stdout}\n${stderr}` });
      });
    });
  const ok = async (args: string[], input?: string) => {
    const r = await pulumi(args, input);
    assert.equal(r.status, 0, `pulumi ${args.join(" ")}:\n${r.out.slice(-5000)}`);
    return r;
  };
  const api = async (method: string, path: string, body?: unknown, filter?: unknown) => {
    const res = await fetch(`${world.url}/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${world.token}`, "Content-Type": "application/json", ...(filter ? { "X-Filter": JSON.stringify(filter) } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as any;
  };
  const txtRecords = () =>
    Object.values(world.records())
      .flat()
      .filter((r) => r.type === "TXT");

  before(async () => {
    world = await startWorld({ log: (m) => console.log(m) });
    env = cliEnv({ PULUMI_BACKEND_URL: `file://${scratch}`, PULUMI_CONFIG_PASSPHRASE: "test-only passphrase", NODE_EXTRA_CA_CERTS: world.httpsCaFile });
    const zone = world.zones[0];
    hostname = `dyn.${zone}`;
    domainId = (await api("GET", "/domains", undefined, { domain: zone })).data[0].id;
    const accountKey = await acme.crypto.createPrivateEcdsaKey();
    const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, await acme.crypto.createPrivateKey(2048));
    await ok(["stack", "init"]);
    // The value on stdin: PEM text starts with dashes, which the CLI would read as flags.
    const set = (k: string, v: string, secret = false) => ok(["config", "set", secret ? "--secret" : "--plaintext", `fixture:${k}`], v);
    await set("hostname", hostname);
    await set("zone", zone);
    await set("apiUrl", `${world.url}/v4`);
    await set("domainId", String(domainId));
    await set("directoryUrl", world.acmeDirectory);
    await set("resolver", world.dnsServer);
    await set("ownLabel", OWN_LABEL);
    await set("csrPem", csr.toString());
    await set("token", world.token, true);
    await set("accountKeyPem", accountKey.toString(), true);
  });

  after(async () => {
    if (Object.keys(timings).length) recordFigures({ flow: "dynamic", at: new Date().toISOString(), pulumi: inv.version, timings });
    if (world) {
      await pulumi(["destroy", "--yes", "--skip-preview"]);
      await pulumi(["stack", "rm", "--yes", "--force"]);
      await world.stop();
    }
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(FIXTURE, `Pulumi.${stack}.yaml`), { force: true });
  });

  test("a hostname that already has a foreign A record fails preview, naming it, with no write", async () => {
    const rec = await api("POST", `/domains/${domainId}/records`, { type: "A", name: "dyn", target: "192.0.2.99", ttl_sec: 300 });
    try {
      const before = world.requests.length;
      const r = await pulumi(["preview"]);
      assert.notEqual(r.status, 0);
      assert.match(r.out, /dyn\./);
      assert.match(r.out, /192\.0\.2\.99/);
      assert.deepEqual(
        world.requests.slice(before).filter((q) => WRITES.has(q.method)),
        [],
      );
    } finally {
      await api("DELETE", `/domains/${domainId}/records/${rec.id}`);
    }
  });

  test("a record pointing at this stack's own Linode (found by its label) is not refused", async () => {
    const vm = await api("POST", "/linode/instances", {
      label: OWN_LABEL,
      region: "us-ord",
      type: "g6-nanode-1",
      image: "linode/debian12",
      root_pass: `Own-${process.pid}-p4ssw0rd!x`,
    });
    assert.ok(vm.id, JSON.stringify(vm));
    const rec = await api("POST", `/domains/${domainId}/records`, { type: "A", name: "dyn", target: vm.ipv4[0], ttl_sec: 300 });
    try {
      const r = await pulumi(["preview"]);
      assert.equal(r.status, 0, r.out.slice(-3000));
    } finally {
      await api("DELETE", `/domains/${domainId}/records/${rec.id}`);
      await api("DELETE", `/linode/instances/${vm.id}`);
    }
  });

  test("preview writes nothing and publishes no TXT record", async () => {
    const before = world.requests.length;
    await timed("preview", () => ok(["preview"]));
    assert.deepEqual(
      world.requests
        .slice(before)
        .filter((q) => WRITES.has(q.method))
        .map((q) => `${q.method} ${q.path}`),
      [],
    );
    assert.deepEqual(txtRecords(), []);
  });

  test("up issues the certificate through DNS-01 on the world and leaves no TXT record", async () => {
    await timed("up (certificate issued)", () => ok(["up", "--yes", "--skip-preview"]));
    const out = JSON.parse((await ok(["stack", "output", "--json", "--show-secrets"])).stdout);
    const leaf = join(scratch, "leaf.pem");
    const chain = join(scratch, "chain.pem");
    writeFileSync(leaf, out.certPem);
    writeFileSync(chain, out.chainPem);
    execFileSync("openssl", ["verify", "-CAfile", world.caFile, "-untrusted", chain, leaf]);
    assert.match(
      execFileSync("openssl", ["x509", "-in", leaf, "-noout", "-ext", "subjectAltName"], { encoding: "utf8" }),
      new RegExp(`DNS:${hostname.replace(/\./g, "\\.")}`),
    );
    assert.deepEqual(txtRecords(), []);
    const txtWrites = world.requests.filter((q) => q.path.startsWith(`/v4/domains/${domainId}/records`) && WRITES.has(q.method));
    assert.ok(
      txtWrites.some((q) => q.method === "POST") && txtWrites.some((q) => q.method === "DELETE"),
      "the TXT record was made and removed through the API",
    );
  });

  test("a second up finds no change (the serialized providers are stable)", async () => {
    await timed("no-op up", () => ok(["up", "--yes", "--expect-no-changes", "--skip-preview"]));
  });

  test("destroy removes the resources and leaves the zone as it was", async () => {
    await timed("destroy", () => ok(["destroy", "--yes", "--skip-preview"]));
    assert.deepEqual(txtRecords(), []);
    const left = JSON.parse((await ok(["stack", "export"])).stdout).deployment.resources ?? [];
    assert.deepEqual(
      left.filter((r: any) => r.type === "pulumi-nodejs:dynamic:Resource"),
      [],
    );
  });
});
