// What a new user sees from each command on a mistake: one clear line and a
// non-zero exit, never a stack trace; `--help` answers with exit 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const TS = ["--require", "ts-node/register/transpile-only"];
const env = { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") };

function render(args: string[]) {
  return spawnSync(process.execPath, [...TS, "scripts/render.ts", ...args], { cwd: ROOT, encoding: "utf8", env });
}

test("render --help explains the offline limits and exits 0", () => {
  const r = render(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run render/);
  assert.match(r.stdout, /no <user>-signed\.mobileconfig/);
  assert.match(r.stdout, /vpn:region is checked for its format only/);
});

test("render with a missing file, an unknown option or no --out: one line, exit 2", () => {
  const out = mkdtempSync(join(tmpdir(), "render-err-"));
  for (const [args, msg] of [
    [["--config", "/nonexistent/stack.yaml", "--out", out], /^render: no such file: \/nonexistent\/stack\.yaml$/],
    [["--config", "Pulumi.dev.yaml", "--out", out, "--bogus"], /^render: unknown option --bogus/],
    [["--config", "Pulumi.dev.yaml"], /^render: --out is required/],
  ] as const) {
    const r = render([...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trim(), msg);
  }
});

test("up.sh checks the passphrase before it touches the network or installs anything", () => {
  const r = spawnSync("bash", ["scripts/up.sh", "dev"], { cwd: ROOT, encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: mkdtempSync(join(tmpdir(), "home-")) } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^up\.sh: set PULUMI_CONFIG_PASSPHRASE/);
  assert.doesNotMatch(r.stderr + r.stdout, /curl|installing/i);
  const help = spawnSync("bash", ["scripts/up.sh", "--help"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: \.\/scripts\/up\.sh/);
});
