// The harness cleans up after itself: no namespace or process survives a
// failing test, an interrupted run (SIGTERM) or a killed one (SIGKILL; swept by
// the next run).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAlive, sweepStaleNamespaces } from "../lib/cleanup";
import { harnessNamespaces } from "../lib/netns";
import { waitFor } from "../lib/wait";
import { createVpn } from "../lib/vpn";

const ROOT = join(__dirname, "..", "..");

/** A child Node process that builds a topology, runs a daemon in it and reports both. */
function spawnHarnessChild(): { child: ReturnType<typeof spawn>; ready: Promise<{ prefix: string; pid: number }> } {
  const script = `
    const { createTopology } = require("./test/lib/netns");
    const { startDaemon } = require("./test/lib/procs");
    (async () => {
      const topo = await createTopology();
      const d = startDaemon(["ip", "netns", "exec", topo.server, "sleep", "600"]);
      console.log(JSON.stringify({ prefix: topo.prefix, pid: d.pid }));
      setInterval(() => undefined, 1000);
    })();
  `;
  const child = spawn(process.execPath, ["--require", "ts-node/register/transpile-only", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise<{ prefix: string; pid: number }>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.on("exit", (code) => reject(new Error(`harness child exited early (${code})`)));
  });
  return { child, ready };
}

async function namespacesWith(prefix: string): Promise<string[]> {
  return (await harnessNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
}

describe("the harness leaves nothing behind", { timeout: 120_000 }, () => {
  it("a failing test body: teardown still removes every namespace and kills every process", async () => {
    let prefix = "";
    let pids: number[] = [];
    await assert.rejects(async () => {
      const vpn = await createVpn({ users: [{ name: "alice", password: "harness-passw0rd" }] });
      try {
        prefix = vpn.topology.prefix;
        const c = await vpn.connect({ user: "alice", password: "harness-passw0rd" });
        pids = [vpn.server.pid, c.pid];
        throw new Error("simulated test failure");
      } finally {
        await vpn.teardown();
      }
    }, /simulated test failure/);
    assert.ok(prefix && pids.length === 2);
    assert.deepEqual(await namespacesWith(prefix), []);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
  });

  it("an interrupted run (SIGTERM) cleans up on its way out", async () => {
    const { child, ready } = spawnHarnessChild();
    const { prefix, pid } = await ready;
    assert.ok((await namespacesWith(prefix)).length > 0);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    assert.deepEqual(await namespacesWith(prefix), []);
    await waitFor(() => !isAlive(pid), { timeoutMs: 5000, what: `pid ${pid} to end` });
  });

  it("a killed run (SIGKILL) leaves namespaces that the next topology sweeps away", async () => {
    const { child, ready } = spawnHarnessChild();
    const { prefix, pid } = await ready;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    assert.ok((await namespacesWith(prefix)).length > 0, "SIGKILL gives no chance to clean up");
    const swept = sweepStaleNamespaces();
    assert.ok(swept.some((n) => n.startsWith(`${prefix}-`)));
    assert.deepEqual(await namespacesWith(prefix), []);
    await waitFor(() => !isAlive(pid), { timeoutMs: 5000, what: `pid ${pid} to end` });
  });
});
