// The import direction of the product code: config -> model <- components <- program.
// The model is pure and shared by everything above it, so it may not reach up into
// config/ (stack reading and validation), components/ (Pulumi resources) or scripts/
// (the CLIs); config/ may not reach into components/. Read from the source text:
// every static `import ... from`, `export ... from`, `import("...")` and `require("...")`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const ROOT = join(__dirname, "..", "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith(".ts") ? [p] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

/** The top-level folder (relative to the repository) each relative import of `file` lands in. */
function importedTops(file: string): { spec: string; top: string }[] {
  const text = readFileSync(file, "utf8");
  const out: { spec: string; top: string }[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1];
    if (!spec.startsWith(".")) continue; // a package or node: builtin
    const target = relative(ROOT, resolve(dirname(file), spec));
    out.push({ spec, top: target.split(sep)[0] });
  }
  return out;
}

function violations(layer: string, forbidden: string[]): string[] {
  return tsFiles(join(ROOT, layer)).flatMap((file) =>
    importedTops(file)
      .filter(({ top }) => forbidden.includes(top))
      .map(({ spec }) => `${relative(ROOT, file)} imports ${spec}`),
  );
}

test("nothing under model/ imports config/, components/ or scripts/", () => {
  assert.deepEqual(violations("model", ["config", "components", "scripts"]), []);
});

test("nothing under config/ imports components/", () => {
  assert.deepEqual(violations("config", ["components"]), []);
});

test("the scan sees the imports it is meant to catch", () => {
  // A guard against a scan that finds nothing: model/offline.ts imports its neighbours.
  const tops = importedTops(join(ROOT, "model", "offline.ts")).map((i) => i.top);
  assert.ok(tops.includes("model"), `model/offline.ts: ${JSON.stringify(tops)}`);
});
