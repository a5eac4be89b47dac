// `eval "$(scripts/sandbox.sh start)"` as the README has people run it: the command
// substitution ends only when every holder of its pipe has closed it, so the world's
// daemon must keep none of it; stdout is only export lines; status and stop work; a
// restart keeps the passphrase, so stack files made in the sandbox stay readable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const skip = process.getuid?.() !== 0 ? "needs root (the world's namespaces and servers)" : false;

/** Runs sandbox.sh with stdout and stderr as pipes; resolves on "close" (every pipe holder gone), or says it timed out. */
function sandbox(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [join(ROOT, "scripts", "sandbox.sh"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ status: null, stdout, stderr, timedOut });
    }, timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

test(
  "sandbox.sh start returns to a command substitution, prints only exports; status; a restart keeps the passphrase; stop leaves nothing",
  { skip, timeout: 600_000 },
  async () => {
    try {
      const start = await sandbox(["start"], 300_000);
      assert.equal(start.timedOut, false, `start never released its stdout (the daemon holds the pipe):\n${start.stderr.slice(-2000)}`);
      assert.equal(start.status, 0, start.stderr);
      const lines = start.stdout.trim().split("\n");
      assert.ok(
        lines.every((l) => /^export [A-Z_][A-Z0-9_]*=/.test(l)),
        start.stdout,
      );
      assert.ok(lines.some((l) => l.startsWith("export LINODE_URL=")));
      const again = await sandbox(["start"], 60_000);
      assert.equal(again.status, 0, again.stderr);
      assert.equal(again.stdout, start.stdout, "a second start prints the same exports");
      const status = await sandbox(["status"], 60_000);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /world: running/);
      // A stack file made in this sandbox stays readable after a restart: same passphrase.
      const passphrase = lines.find((l) => l.startsWith("export PULUMI_CONFIG_PASSPHRASE="));
      assert.ok(passphrase);
      assert.equal((await sandbox(["stop"], 120_000)).status, 0);
      const restarted = await sandbox(["start"], 300_000);
      assert.equal(restarted.status, 0, restarted.stderr);
      assert.ok(restarted.stdout.split("\n").includes(passphrase), "the same PULUMI_CONFIG_PASSPHRASE after stop and start");
    } finally {
      const stop = await sandbox(["stop"], 120_000);
      assert.equal(stop.status, 0, stop.stderr);
    }
    const after = await sandbox(["status"], 60_000);
    assert.doesNotMatch(after.stdout, /world: running/);
  },
);
