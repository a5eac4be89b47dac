// The real Pulumi CLI's own checks on this project, before any program runs: the
// config schema in Pulumi.yaml (pulumi/pulumi issue 21865), and how `config set
// --secret --path` marks the keys the program refuses in plain text. Needs only
// the `pulumi` binary (no language host, no plugins, no network, no root).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { cliEnv, inventory } from "./lib/cli";
import { NO_PULUMI_CLI } from "../../scripts/lib/findPulumi";

const ROOT = join(__dirname, "..", "..");
const inv = inventory();
if (!inv.pulumi) console.log(`engine: SKIPPED cli-config — ${NO_PULUMI_CLI}`);

interface Project {
  dir: string;
  pulumi(args: string[]): { status: number | null; out: string };
  done(): void;
}

/** A scratch copy of the project file (and a stack file) on a file backend. */
function scratchProject(pulumiYaml: string, stackConfig: Record<string, unknown>): Project {
  const dir = mkdtempSync(join(tmpdir(), "vpn-cli-"));
  writeFileSync(join(dir, "Pulumi.yaml"), pulumiYaml);
  const env = cliEnv({
    PULUMI_HOME: join(dir, "home"), // nothing of the user's own CLI state is touched
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "test-only passphrase",
    // Should a language host and plugins exist, the program must still call no real Linode.
    LINODE_URL: "http://127.0.0.1:9",
    LINODE_TOKEN: "test-only",
  });
  spawnSync("mkdir", ["-p", join(dir, "state"), join(dir, "home")]);
  const pulumi = (args: string[]) => {
    const r = spawnSync(inv.pulumi!, [...args, "--non-interactive"], { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const init = pulumi(["stack", "init", "dev"]);
  assert.equal(init.status, 0, init.out);
  // Keep the encryption salt the CLI wrote; add the stack's config.
  const stackFile = join(dir, "Pulumi.dev.yaml");
  const salt = YAML.parse(readFileSync(stackFile, "utf8"))?.encryptionsalt;
  writeFileSync(stackFile, YAML.stringify({ ...(salt ? { encryptionsalt: salt } : {}), config: stackConfig }));
  return { dir, pulumi, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const projectYaml = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
const exampleStack = YAML.parse(readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8")).config;

test("the real CLI takes Pulumi.yaml and the example stack past config validation", { skip: !inv.pulumi }, () => {
  const p = scratchProject(projectYaml, exampleStack);
  try {
    const r = p.pulumi(["preview"]);
    assert.doesNotMatch(r.out, /validating stack config|must be encrypted|is missing configuration/, r.out);
    // Past validation the CLI loads the language host: without one it stops there; with
    // one, the program starts and stops at the SDK this scratch directory lacks.
    assert.match(r.out, inv.languageHost ? /Pulumi SDK has not been installed/ : /language plugin nodejs|pulumi-language-nodejs/, r.out);
  } finally {
    p.done();
  }
});

test("the real CLI refuses a typed secret key with a default: the defect this schema avoids", { skip: !inv.pulumi }, () => {
  const doc = YAML.parse(projectYaml);
  doc.config["vpn:rfc2136Secret"] = { ...doc.config["vpn:rfc2136Secret"], secret: true };
  const p = scratchProject(YAML.stringify(doc), exampleStack);
  try {
    const r = p.pulumi(["preview"]);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /Stack 'dev' with configuration key 'vpn:rfc2136Secret' must be encrypted as it's secret/);
  } finally {
    p.done();
  }
});

test("`config set --secret --path` marks vpn:passwords secret; a plain --path value does not", { skip: !inv.pulumi }, () => {
  const p = scratchProject(projectYaml, exampleStack);
  try {
    assert.equal(p.pulumi(["config", "set", "--secret", "--path", "vpn:passwords.alice", "correct horse battery"]).status, 0);
    const secretKeys = (r: { out: string }) =>
      Object.entries(JSON.parse(r.out) as Record<string, { secret: boolean }>)
        .filter(([, v]) => v.secret)
        .map(([k]) => k);
    assert.ok(secretKeys(p.pulumi(["config", "--json"])).includes("vpn:passwords"));
    assert.ok(!readFileSync(join(p.dir, "Pulumi.dev.yaml"), "utf8").includes("correct horse battery"), "the password is stored encrypted");
    assert.equal(p.pulumi(["config", "rm", "vpn:passwords"]).status, 0);
    assert.equal(p.pulumi(["config", "set", "--path", "vpn:passwords.alice", "correct horse battery"]).status, 0);
    assert.ok(!secretKeys(p.pulumi(["config", "--json"])).includes("vpn:passwords"), "a plain value is not marked secret: config/read.ts refuses it");
  } finally {
    p.done();
  }
});
