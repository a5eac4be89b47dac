// The program under the real engine (CLI + Node.js language host, no provider
// plugins needed): a bad stack file fails `pulumi preview` with the program's own
// message, naming each key, before any resource exists; secrets set with
// `--secret --path` reach the program as secret (PULUMI_CONFIG_SECRET_KEYS), plain
// ones are refused. No network: the Linode URL is a closed local port.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inventory, missingCli } from "./lib/cli";
import { EngineStack } from "./lib/stack";

const inv = inventory();
const missing = missingCli(inv);
if (missing) console.log(`engine: SKIPPED program-config — ${missing}`);

const GOOD = { "vpn:zone": "example.com", "vpn:hostname": "vpn.example.com", "vpn:users[0]": "alice" };

async function previewOf(config: Record<string, string>, secrets: Record<string, string> = {}): Promise<string> {
  const s = new EngineStack(inv.pulumi!, "dev");
  try {
    await s.init(config, secrets);
    const r = await s.run(["preview"]);
    return `${r.stdout}\n${r.stderr}`;
  } finally {
    s.remove();
  }
}

test("a bad stack file fails preview with the program's message naming every key, and nothing is created", { skip: missing }, async () => {
  const out = await previewOf({ ...GOOD, "vpn:users[0]": "al ice", "vnp:compat": "legacy", "vpn:passwords.alice": "plain-text-password" });
  assert.match(out, /Invalid stack configuration:/);
  assert.match(out, /vpn:users\[0\]: user name must be .*got "al ice"/);
  assert.match(out, /vnp:compat: is in the unknown namespace "vnp" .*did you mean vpn:compat\?/);
  assert.match(out, /vpn:passwords: is stored in plain text/);
  assert.doesNotMatch(out, /at Object\.<anonymous>|\.ts:\d+:\d+\)/, "a config error prints no stack trace (pulumi.RunError)");
  assert.doesNotMatch(out, /linode:index\/instance:Instance/, "no resource was registered");
});

test("passwords set with --secret --path reach the program as secret", { skip: missing }, async () => {
  const out = await previewOf(GOOD, { "vpn:passwords.alice": "correct horse battery" });
  assert.doesNotMatch(out, /Invalid stack configuration|stored in plain text/, out.slice(-3000));
});
