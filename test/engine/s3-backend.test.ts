// Shared state on an S3-compatible object store, as a team runs it on Linode Object
// Storage (docs/gitops.md): the real `pulumi` CLI logged into a real local S3 server
// (SeaweedFS's S3 gateway, `weed server -s3`) with the URL `npm run state-bucket`
// prints, on a tiny throwaway project (no provider: the backend is what is tested).
//   - two pipelines racing on one stack: the second is refused with the DIY backend's
//     lock message (pkg/backend/diy/lock.go: "the stack is currently locked"), the
//     first finishes, and the state afterwards is whole;
//   - a run killed while it holds the lock leaves a stale lock that the next run
//     reports with its owner; the documented recovery (`pulumi cancel`) works;
//   - another checkout with its own PULUMI_HOME (a teammate's laptop) sees the same
//     stack and outputs;
//   - no object in the bucket holds a secret in plain text;
//   - the read-only key (previews, drift) can preview but not update.
// Skipped, loudly, without the `weed` binary (docs/gitops.md says how to get it) or
// without the CLI and its Node.js language host. Needs no root.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../lib/wait";
import { cliEnv, inventory, missingCli } from "./lib/cli";
import { findWeed, READ_ONLY as RO, READ_WRITE as RW, S3Server, startS3, WEED_MISSING } from "./lib/s3";

const ROOT = join(__dirname, "..", "..");
const inv = inventory();
const weed = findWeed();
const missing = !weed ? WEED_MISSING : missingCli(inv);
if (missing) console.log(`engine: SKIPPED s3-backend — ${missing}`);

const BUCKET = "team-state";
const PASSPHRASE = "test-only team passphrase";
const SECRET = "s3cr3t-api-token-Zq8vN3pL6wR1";

/** The throwaway program: one component, the config back as outputs; HOLD_DIR makes it wait (bounded) for a release file. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const fs = require("node:fs");
const path = require("node:path");
class Box extends pulumi.ComponentResource {
  constructor(name) { super("proof:index:Box", name, {}, {}); this.registerOutputs({}); }
}
new Box("box");
const cfg = new pulumi.Config();
module.exports = (async () => {
  const hold = process.env.HOLD_DIR;
  if (hold) {
    // The lock is taken before the program runs (diy Update: Lock, then the engine).
    fs.writeFileSync(path.join(hold, "started"), String(process.pid));
    const deadline = Date.now() + 120000;
    while (!fs.existsSync(path.join(hold, "release"))) {
      if (Date.now() > deadline) throw new Error("never released");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { greeting: cfg.require("greeting"), apiToken: cfg.requireSecret("apiToken"), run: cfg.get("run") || "first" };
})();
`;

interface Run {
  status: number | null;
  out: string;
}

/** One checkout of the project (a pipeline's or a laptop's), with its own PULUMI_HOME. */
class Checkout {
  readonly dir: string;
  constructor(
    readonly name: string,
    readonly base: string,
    private readonly backend: string,
  ) {
    this.dir = join(base, name);
    mkdirSync(join(this.dir, "home"), { recursive: true });
    writeFileSync(join(this.dir, "Pulumi.yaml"), "name: s3-lock-proof\nruntime: nodejs\ndescription: throwaway project for the shared-state tests\n");
    writeFileSync(join(this.dir, "package.json"), '{ "name": "s3-lock-proof", "main": "index.js" }\n');
    writeFileSync(join(this.dir, "index.js"), PROGRAM);
    symlinkSync(join(ROOT, "node_modules"), join(this.dir, "node_modules"));
  }

  env(extra: Record<string, string> = {}, key = RW): NodeJS.ProcessEnv {
    return cliEnv({
      PULUMI_HOME: join(this.dir, "home"),
      PULUMI_BACKEND_URL: this.backend,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      AWS_ACCESS_KEY_ID: key.accessKey,
      AWS_SECRET_ACCESS_KEY: key.secretKey,
      // Nothing of this machine's AWS setup may leak in.
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      ...extra,
    });
  }

  /** Starts `pulumi <args> --stack team --non-interactive` in its own process group (so a kill takes the program too). */
  start(args: string[], extra: Record<string, string> = {}, key = RW): { child: ChildProcess; done: Promise<Run> } {
    const child = spawn(inv.pulumi!, [...args, "--stack", "team", "--non-interactive"], { cwd: this.dir, env: this.env(extra, key), detached: true });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 180_000);
    const done = new Promise<Run>((resolve) =>
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, out });
      }),
    );
    return { child, done };
  }

  run(args: string[], extra: Record<string, string> = {}, key = RW): Promise<Run> {
    return this.start(args, extra, key).done;
  }

  async ok(args: string[], extra: Record<string, string> = {}): Promise<string> {
    const r = await this.run(args, extra);
    assert.equal(r.status, 0, `${this.name}: pulumi ${args.join(" ")}:\n${r.out}`);
    return r.out;
  }

  copyStackFileFrom(other: Checkout): void {
    cpSync(join(other.dir, "Pulumi.team.yaml"), join(this.dir, "Pulumi.team.yaml"));
  }
}

describe("shared state on an S3-compatible store (SeaweedFS), the real CLI", { skip: missing, concurrency: false }, () => {
  let base: string;
  let s3: S3Server;
  let backend: string;
  let pipelineA: Checkout;
  let pipelineB: Checkout;

  const locks = async () => [...(await s3.objects()).keys()].filter((k) => k.includes("/.pulumi/locks/"));

  before(async () => {
    base = mkdtempSync(join(tmpdir(), "vpn-s3-checkouts-"));
    s3 = await startS3(weed!, BUCKET);
    // The exact URL form `npm run state-bucket` prints, with the local endpoint.
    backend = s3.backendUrl;
    pipelineA = new Checkout("pipeline-a", base, backend);
    pipelineB = new Checkout("pipeline-b", base, backend);
    await pipelineA.ok(["stack", "init"]);
    await pipelineA.ok(["config", "set", "greeting", "hello"]);
    await pipelineA.ok(["config", "set", "--secret", "apiToken", SECRET]);
    pipelineB.copyStackFileFrom(pipelineA);
  });

  after(async () => {
    await s3?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test("two pipelines racing on one stack: the second is refused by the lock, the first finishes, the state is whole", async () => {
    const hold = join(base, "hold-race");
    mkdirSync(hold);
    const first = pipelineA.start(["up", "--yes", "--skip-preview"], { HOLD_DIR: hold });
    // The first holds the lock once its program runs.
    await waitFor(() => existsSync(join(hold, "started")), { timeoutMs: 120_000, what: "the first up's program" });
    assert.equal((await locks()).length, 1, "one lock object while the first runs");
    const second = await pipelineB.run(["up", "--yes", "--skip-preview", "--config", "run=second"]);
    assert.notEqual(second.status, 0, second.out);
    assert.match(second.out, /the stack is currently locked by 1 lock\(s\)/);
    assert.match(second.out, /created by \S+@\S+ \(pid \d+\)/, "the lock names its owner");
    writeFileSync(join(hold, "release"), "");
    const r = await first.done;
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(await locks(), [], "the lock is gone");
    const out = JSON.parse(await pipelineB.ok(["stack", "output", "--json", "--show-secrets"]));
    assert.deepEqual(out, { greeting: "hello", apiToken: SECRET, run: "first" }, "the first run's outputs, none of the second's");
    const state = JSON.parse(await pipelineB.ok(["stack", "export"]));
    assert.ok(
      state.deployment.resources.some((x: any) => x.type === "proof:index:Box"),
      "the component is in the state",
    );
    assert.equal(state.deployment.pending_operations ?? undefined, undefined, "no pending operations");
  });

  test("a teammate's laptop (another checkout, its own PULUMI_HOME) sees the same stack and outputs", async () => {
    const laptop = new Checkout("laptop", base, backend);
    laptop.copyStackFileFrom(pipelineA); // the stack file comes with the repository
    assert.match(await laptop.ok(["stack", "ls"]), /^team\b/m);
    const mine = JSON.parse(await laptop.ok(["stack", "output", "--json", "--show-secrets"]));
    const theirs = JSON.parse(await pipelineA.ok(["stack", "output", "--json", "--show-secrets"]));
    assert.deepEqual(mine, theirs);
    assert.equal(mine.apiToken, SECRET);
    // The laptop's update is the pipeline's next state.
    await laptop.ok(["up", "--yes", "--skip-preview", "--config", "run=laptop"]);
    assert.equal(JSON.parse(await pipelineA.ok(["stack", "output", "--json"])).run, "laptop");
  });

  test("the state objects hold no secret in plain text", async () => {
    const objects = await s3.objects();
    const stackFile = [...objects.keys()].find((k) => /\/\.pulumi\/stacks\/s3-lock-proof\/team\.json$/.test(k));
    assert.ok(stackFile, `the stack's state is in the bucket: ${[...objects.keys()].join(", ")}`);
    assert.match(objects.get(stackFile)!, /"ciphertext"/, "the secret output is stored encrypted");
    for (const [key, text] of objects) {
      assert.ok(!text.includes(SECRET), `${key} holds the secret in plain text`);
      assert.ok(!text.includes(Buffer.from(SECRET).toString("base64")), `${key} holds the secret base64-encoded`);
    }
  });

  test("the read-only key previews but cannot update (it cannot even take the lock)", async () => {
    const preview = await pipelineB.run(["preview"], {}, RO);
    assert.equal(preview.status, 0, preview.out);
    const up = await pipelineB.run(["up", "--yes", "--skip-preview"], {}, RO);
    assert.notEqual(up.status, 0, up.out);
    assert.match(up.out, /AccessDenied|Access Denied|403/);
    assert.deepEqual(await locks(), []);
  });

  test("a run killed while holding the lock: the next run names the stale lock, `pulumi cancel` clears it, the stack works", async () => {
    const hold = join(base, "hold-kill");
    mkdirSync(hold);
    const victim = pipelineA.start(["up", "--yes", "--skip-preview", "--config", "run=killed"], { HOLD_DIR: hold });
    await waitFor(() => existsSync(join(hold, "started")), { timeoutMs: 120_000, what: "the victim's program" });
    process.kill(-victim.child.pid!, "SIGKILL"); // the CLI and its program, as a cancelled CI job loses its runner
    await victim.done;
    assert.equal((await locks()).length, 1, "the killed run left its lock");
    const next = await pipelineB.run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(next.status, 0);
    assert.match(
      next.out,
      /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/,
    );
    // The recovery docs/gitops.md gives: make sure no run is alive (the lock names
    // user@host and pid), then cancel, then run again.
    await pipelineB.ok(["cancel", "--yes"]);
    assert.deepEqual(await locks(), []);
    await pipelineB.ok(["up", "--yes", "--skip-preview", "--config", "run=after-cancel"]);
    const out = JSON.parse(await pipelineA.ok(["stack", "output", "--json", "--show-secrets"]));
    assert.deepEqual(out, { greeting: "hello", apiToken: SECRET, run: "after-cancel" });
    assert.ok(readdirSync(hold).includes("started"));
  });
});
