#!/usr/bin/env node
// Runs one test tier with Node's built-in test runner (TypeScript via ts-node,
// transpile-only; `npm run build` type-checks separately).
//   node scripts/run-tests.js <unit|e2e|acme|hosts|engine> [--grep PATTERN]
// unit files run in parallel; the real-component tiers run one file at a time
// (they share network namespaces, ports and a container cache).
"use strict";
const { spawnSync } = require("node:child_process");
const { readdirSync, statSync } = require("node:fs");
const { join, relative } = require("node:path");

const root = join(__dirname, "..");
const tier = process.argv[2];
const tiers = { unit: ["test/unit"], e2e: ["test/e2e"], acme: ["test/acme"], hosts: ["test/hosts"], engine: ["test/engine"] };
if (!tiers[tier]) {
  console.error(`usage: run-tests.js <${Object.keys(tiers).join("|")}> [--grep PATTERN]`);
  process.exit(2);
}

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const files = tiers[tier].flatMap((d) => walk(join(root, d)));
if (files.length === 0) {
  console.error(`no test files for tier ${tier}`);
  process.exit(1);
}
const grepAt = process.argv.indexOf("--grep");
const args = [
  "--require",
  "ts-node/register/transpile-only",
  "--test",
  "--test-reporter=spec",
  `--test-concurrency=${tier === "unit" ? 2 : 1}`,
  ...(grepAt > 0 ? [`--test-name-pattern=${process.argv[grepAt + 1]}`] : []),
  ...files,
];
const res = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: { ...process.env, TS_NODE_PROJECT: join(root, "tsconfig.json") } });
process.exit(res.status === null ? 1 : res.status);
