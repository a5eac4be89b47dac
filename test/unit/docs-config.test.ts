// docs/configuration.md is generated from config/keys.ts (npm run docs:config): the
// committed file must be exactly what the generator writes now, so a key added,
// removed or reworded in config/keys.ts without regenerating fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_KEYS } from "../../config/keys";
import { NOTES, renderConfigDoc } from "../../scripts/docs-config";

const ROOT = join(__dirname, "..", "..");
const COMMITTED = join(ROOT, "docs", "configuration.md");

function check(path: string) {
  return spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/docs-config.ts", "--check"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DOCS_CONFIG_PATH: path },
    timeout: 60_000,
  });
}

test("docs/configuration.md is what npm run docs:config writes from config/keys.ts (run it after changing a key)", () => {
  assert.equal(readFileSync(COMMITTED, "utf8"), renderConfigDoc(), "docs/configuration.md is stale: run npm run docs:config");
});

test("a changed key makes the reference differ, and --check says so in one line, exit 1", () => {
  const changed = CONFIG_KEYS.map((k) => (k.key === "vpn:compat" ? { ...k, description: `${k.description} Changed.` } : k));
  assert.notEqual(renderConfigDoc(changed), renderConfigDoc());
  const dir = mkdtempSync(join(tmpdir(), "docs-config-"));
  const stale = join(dir, "configuration.md");
  writeFileSync(stale, renderConfigDoc(changed));
  const r = check(stale);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^docs:config: \S+ is stale \(config\/keys\.ts changed\): run npm run docs:config\n$/);
  writeFileSync(stale, renderConfigDoc());
  assert.equal(check(stale).status, 0);
});

test("every key has a row with its type and default; notes name keys that exist", () => {
  const doc = renderConfigDoc();
  for (const k of CONFIG_KEYS) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${k.key}\` |`));
    assert.ok(row, k.key);
    assert.ok(row.includes(k.description), `${k.key}: the description from config/keys.ts`);
    if (k.secret) assert.match(row, /\(secret\)/, k.key);
    if (k.required) assert.match(row, /\*\(required\)\*/, k.key);
  }
  for (const key of Object.keys(NOTES))
    assert.ok(
      CONFIG_KEYS.some((k) => k.key === key),
      `NOTES names ${key}, which config/keys.ts does not have`,
    );
});
