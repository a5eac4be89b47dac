// The engine tier's inventory finds the language host where the CLI itself does:
// beside the executable the kernel resolved, so a symlinked `pulumi` on PATH
// (Homebrew, /usr/local/bin) does not make the tier skip what it could run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { languageHostOf } from "../engine/lib/cli";

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "vpn-inv-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a symlinked pulumi: the language host is found beside the link's target", (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, "home", "bin"), { recursive: true });
  mkdirSync(join(dir, "usr-local-bin"));
  writeFileSync(join(dir, "home", "bin", "pulumi"), "", { mode: 0o755 });
  writeFileSync(join(dir, "home", "bin", "pulumi-language-nodejs"), "", { mode: 0o755 });
  symlinkSync(join(dir, "home", "bin", "pulumi"), join(dir, "usr-local-bin", "pulumi"));
  const saved = process.env.PATH;
  process.env.PATH = join(dir, "usr-local-bin");
  t.after(() => (process.env.PATH = saved));
  assert.equal(languageHostOf(join(dir, "usr-local-bin", "pulumi")), join(dir, "home", "bin", "pulumi-language-nodejs"));
});

test("no language host anywhere: undefined", (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, "pulumi"), "", { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = join(dir, "nothing-here");
  t.after(() => (process.env.PATH = saved));
  assert.equal(languageHostOf(join(dir, "pulumi")), undefined);
});
