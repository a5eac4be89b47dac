// docs/architecture.md is the map of the code: every file or folder it names in
// `inline code` exists, so a split, rename or removal that leaves the map behind
// fails here (readme.test.ts checks its links). A name is found from the repository
// root, or as the end of a path in the repository (a bare `keys.ts` in the config/
// row); <placeholder> and * stand for one path segment or part of one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
const DOC = readFileSync(join(ROOT, "docs", "architecture.md"), "utf8");

/** Every file and folder of the repository, relative, folders with a trailing slash. */
function tree(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name === ".git") return [];
    const path = join(dir, e.name);
    const rel = relative(ROOT, path);
    return e.isDirectory() ? [`${rel}/`, ...tree(path)] : [rel];
  });
}

/** `inline code` outside fenced blocks that names a repository file or folder. */
export function pathsNamed(md: string): string[] {
  const out = new Set<string>();
  let fence = false;
  for (const line of md.split("\n")) {
    if (/^```/.test(line)) fence = !fence;
    if (fence) continue;
    for (const m of line.matchAll(/`([^`\s]+)`/g)) {
      const t = m[1];
      if (t.startsWith("/") || t.startsWith("@")) continue; // server paths, npm packages
      if (/\.(ts|js|sh|ejs|md|ya?ml)$/.test(t) || /^[\w.<>*-]+(\/[\w.<>*-]+)*\/$/.test(t)) out.add(t);
    }
  }
  return [...out];
}

function pattern(name: string): RegExp {
  const body = name
    .split(/(<[^>]+>|\*)/)
    .map((part) => (part === "*" ? "[^/]*" : part.startsWith("<") ? "[^/]+" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`(^|/)${body}$`);
}

test("every file and folder docs/architecture.md names exists", () => {
  const all = tree();
  const named = pathsNamed(DOC);
  assert.ok(named.length > 40, `only ${named.length} names found: the scan is broken`);
  const missing = named.filter((name) => !all.some((p) => pattern(name).test(p)));
  assert.deepEqual(missing, []);
});

test("the check sees a name that does not exist", () => {
  const all = tree();
  for (const gone of ["config/validate/nowhere.ts", "model/status/gone/", "no-such-file.ts", "templates/steps/<step>.yaml"]) {
    assert.ok(pathsNamed(`see \`${gone}\``).length === 1, gone);
    assert.ok(!all.some((p) => pattern(gone).test(p)), gone);
  }
});
