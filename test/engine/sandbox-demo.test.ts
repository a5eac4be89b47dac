// `scripts/sandbox.sh demo --yes`: the whole tour a person without a Linode account
// takes: start the sandbox, a stack with one user, pulumi up (the real CLI and
// plugins), the profiles, a real client connected with the generated profile whose
// traffic reaches the sandbox's upstream over IPv4 (NATed to the server) and IPv6
// (its own tunnel address), status, destroy, stop; the time of each step at the end.
// Afterwards nothing of it is left, and connect says the sandbox is not running.
// Skipped, loudly, where the CLI or a plugin is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { inventory, missingForEngine } from "./lib/cli";
import { connectNamespaces, sandbox } from "./lib/sandbox";

const inv = inventory();
const missing = process.getuid?.() !== 0 ? "needs root (namespaces, containers)" : missingForEngine(inv);
if (missing) console.log(`engine: SKIPPED — ${missing}`);

test(
  "demo --yes: start, up, connect with the generated profile, v4 and v6 through the tunnel, destroy, stop",
  { skip: missing, timeout: 1_200_000 },
  async () => {
    try {
      const r = await sandbox(["demo", "--yes", "--stack", "demotest"], 1_100_000);
      assert.equal(r.timedOut, false, r.stderr.slice(-3000));
      assert.equal(r.status, 0, r.stderr.slice(-5000));
      const steps = [...r.stderr.matchAll(/^==> (\d)\. /gm)].map((m) => Number(m[1]));
      assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7], "every step, in order, destroy included");
      assert.match(r.stderr, /^ {4}\$ scripts\/sandbox\.sh connect \S+\/alice\.swanctl\.conf /m, "connects with the generated profile file");
      const vips = /tunnel addresses: IPv4 (10\.47\.83\.\d+), IPv6 (2001:db8:77[0-9a-f]{2}::\S+);/.exec(r.stderr);
      assert.ok(vips, "prints the tunnel's v4 and v6 addresses");
      const v4 = /^upstream 203\.0\.113\.2 sees this device as: (203\.0\.113\.\d+)$/m.exec(r.stderr);
      assert.ok(v4, "an upstream reply over IPv4");
      assert.match(
        r.stderr,
        new RegExp(`^instances: 1\\n  \\d+ vpn-demotest-us-ord-\\S+ ${v4[1].replace(/\./g, "\\.")} `, "m"),
        "over IPv4 the upstream sees the server (NAT)",
      );
      assert.match(
        r.stderr,
        new RegExp(`^upstream 2001:db8:7700::2 sees this device as: ${vips[2]}$`, "m"),
        "over IPv6 the device's own tunnel address (routed)",
      );
      assert.match(r.stderr, /^sandbox demo: done in \d+ s\n {2}start +\d+ s\n(?: {2}.+\d+ s\n)* {2}destroy and stop +\d+ s/m, "the figures");
      assert.doesNotMatch(r.stderr, /alice\.swanctl\.conf[^\n]*secret = 0x/, "no secret printed");
    } finally {
      await sandbox(["stop"], 180_000);
    }
    const status = await sandbox(["status"], 60_000);
    assert.equal(status.status, 3, "the world is stopped");
    assert.equal(existsSync("/var/lib/vpn-sandbox"), false, "its state, the demo's project and profiles are gone");
    assert.deepEqual(connectNamespaces(), []);
    const connect = await sandbox(["connect", "alice"], 60_000);
    assert.equal(connect.status, 2);
    assert.equal(connect.stderr, 'sandbox: the sandbox is not running: start it with eval "$(scripts/sandbox.sh start)"\n');
  },
);

test("demo: a usage error is one line, exit 2, and starts nothing", { skip: process.getuid?.() !== 0 ? "needs root" : false }, async () => {
  for (const args of [
    ["demo", "--bogus"],
    ["demo", "--yes", "--keep"],
    ["demo", "--stack"],
  ]) {
    const r = await sandbox(args, 30_000);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^sandbox: /);
  }
  assert.equal((await sandbox(["status"], 60_000)).status, 3);
});
