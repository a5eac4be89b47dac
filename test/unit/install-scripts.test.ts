// No dependency's install script may run when the project's dependencies are installed
// (README, .ci/run through scripts/test-all.sh, scripts/up.sh, the workflows: all of them
// run `npm ci` at the repository root). `allowScripts` in package.json is honoured only by
// npm 11.16 and later; Node 20 ships npm 10, which ignores it and ran both scripts
// (@pulumi/command's, which calls the Pulumi CLI to fetch its plugin, and protobufjs's).
// The repository's .npmrc (`ignore-scripts=true`) is project config every npm version
// reads from the directory of package.json.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(__dirname, "..", "..");

/** What npm itself resolves for `ignore-scripts` in `dir`, with no user/global config and no npm_config_* from a parent npm. */
function npmIgnoreScripts(dir: string): string {
  const home = mkdtempSync(join(tmpdir(), "npm-home-"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  Object.assign(env, { HOME: home, USERPROFILE: home, NPM_CONFIG_USERCONFIG: join(home, "user-npmrc"), NPM_CONFIG_GLOBALCONFIG: join(home, "global-npmrc") });
  try {
    const r = spawnSync("npm", ["config", "get", "ignore-scripts"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(r.status, 0, `npm config get failed: ${r.stderr}`);
    return r.stdout.trim();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe("dependency install scripts are off for every npm version", () => {
  it("npm resolves ignore-scripts=true at the repository root (the project .npmrc)", () => {
    assert.equal(npmIgnoreScripts(ROOT), "true");
  });

  it("and would not without that .npmrc (so the check above can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "npm-project-"));
    try {
      copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
      assert.equal(npmIgnoreScripts(dir), "false");
      writeFileSync(join(dir, ".npmrc"), readFileSync(join(ROOT, ".npmrc")));
      assert.equal(npmIgnoreScripts(dir), "true");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("package.json relies on no lifecycle script (ignore-scripts would skip it silently)", () => {
    const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts ?? {};
    const lifecycle = [
      "preinstall",
      "install",
      "postinstall",
      "prepublish",
      "preprepare",
      "prepare",
      "postprepare",
      "prepack",
      "postpack",
      "prepublishOnly",
      "dependencies",
    ];
    for (const name of Object.keys(scripts)) {
      assert.ok(!lifecycle.includes(name), `lifecycle script ${name}`);
      const hook = /^(pre|post)(.+)$/.exec(name);
      assert.ok(!(hook && hook[2] in scripts), `${name} is a ${hook?.[1]}-hook of ${hook?.[2]}: npm skips it under ignore-scripts`);
    }
  });

  it("no install command turns the setting back on", () => {
    const files = [
      ...readdirSync(join(ROOT, ".github", "workflows")).map((f) => join(".github", "workflows", f)),
      ...readdirSync(join(ROOT, "scripts"))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => join("scripts", f)),
      join(".ci", "run"),
    ];
    let installs = 0;
    for (const f of files) {
      for (const line of readFileSync(join(ROOT, f), "utf8").split("\n")) {
        if (!/\bnpm\s+(ci|install|i|rebuild)\b/.test(line) || /^\s*#/.test(line)) continue;
        installs++;
        assert.doesNotMatch(line, /ignore-scripts|foreground-scripts|--prefix|\bcd\b/, `${f}: ${line.trim()}`);
      }
    }
    assert.ok(installs >= 3, `found only ${installs} install commands: did they move?`);
  });
});
