// Pulumi.yaml, Pulumi.dev.yaml and the README agree with the config contract in config/keys.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { CONFIG_KEYS } from "../../config/keys";
import { validateConfig } from "../../config/validate";

const root = join(__dirname, "..", "..");
const project = YAML.parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));

test("Pulumi.yaml declares every key of the contract, with its type, default, secrecy and description", () => {
  assert.equal(project.name, "vpn", "typed keys must be namespaced by the project name");
  assert.deepEqual(Object.keys(project.config).sort(), CONFIG_KEYS.map((k) => k.key).sort());
  for (const k of CONFIG_KEYS) {
    const d = project.config[k.key];
    assert.equal(d.description, k.description, k.key);
    assert.deepEqual(d.default, k.default, `${k.key} default`);
    // Secret keys are secret in the program (config/read.ts refuses plain values); Pulumi.yaml
    // may only say so for a key without default (see the CLI-rule test below).
    assert.equal(d.secret ?? false, (k.secret ?? false) && k.default === undefined, `${k.key} secret`);
    const expectedType = k.type === "list" ? "array" : k.type === "structured" ? undefined : k.type;
    assert.equal(d.type, expectedType, `${k.key} type`);
    if (k.type === "list") assert.deepEqual(d.items, { type: "string" });
    // The CLI treats a declared key without default as required.
    assert.equal(d.default === undefined, k.required === true || k.key === "vpn:zone", `${k.key}: only required keys lack a default`);
  }
});

test("Pulumi.yaml defaults are what the program assumes when a key is absent", () => {
  const required = { "vpn:zone": "example.com", "vpn:hostname": "vpn.example.com", "vpn:users": ["alice"] };
  const withDefaults: Record<string, unknown> = { ...required };
  for (const k of CONFIG_KEYS) if (k.default !== undefined && !(k.key in required)) withDefaults[k.key] = k.default;
  assert.deepEqual(validateConfig(withDefaults), validateConfig(required));
});

test("the template prompts for the token and every required key", () => {
  const prompted = Object.keys(project.template.config);
  for (const key of ["linode:token", "vpn:zone", "vpn:hostname", "vpn:users"]) assert.ok(prompted.includes(key), key);
  assert.equal(project.template.config["linode:token"].secret, true);
});

test("the example stack file is a valid configuration", () => {
  const stack = YAML.parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8"));
  const c = validateConfig(stack.config);
  assert.equal(c.regions[0].hostname, "vpn.example.com");
});

test("the configuration reference (docs/configuration.md) lists every key with its default", () => {
  const doc = readFileSync(join(root, "docs", "configuration.md"), "utf8");
  for (const k of CONFIG_KEYS) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${k.key}\``));
    assert.ok(row, `docs/configuration.md has no row for ${k.key}`);
    if (k.default !== undefined && k.default !== "" && !(Array.isArray(k.default) && k.default.length === 0) && typeof k.default !== "object") {
      assert.ok(row.includes(String(k.default)), `docs/configuration.md row for ${k.key} lacks its default ${k.default}`);
    }
  }
});

test("the proposal table (docs/architecture.md) shows every server proposal", async () => {
  const { serverEspProposals, serverIkeProposals } = await import("../../model/proposals");
  const doc = readFileSync(join(root, "docs", "architecture.md"), "utf8");
  for (const p of [...serverIkeProposals("legacy"), ...serverEspProposals("legacy")]) assert.ok(doc.includes(`\`${p}\``), p);
});

/**
 * The Pulumi CLI's own config check (pkg 3.248, sdk/go/common/workspace/config.go:
 * mergeConfig, then validateStackConfigValues), applied to Pulumi.yaml before the
 * program runs: project defaults are filled in as plain values for keys absent from
 * the stack; a key without default in the project's namespace is required; a key
 * with an explicit `type` and `secret: true` must hold an encrypted value.
 */
function cliConfigErrors(proj: { name: string; config: Record<string, any> }, stack: Record<string, { secure: boolean }>, stackName = "dev"): string[] {
  const merged: Record<string, { secure: boolean }> = { ...stack };
  const missing: string[] = [];
  for (const key of Object.keys(proj.config).sort()) {
    const decl = proj.config[key];
    const ns = key.includes(":") ? key.split(":")[0] : proj.name;
    if (key in merged) continue;
    if (decl.default === undefined && decl.value === undefined) {
      if (ns === proj.name) missing.push(key);
      continue;
    }
    merged[key] = { secure: false }; // createConfigValue: a plain value
  }
  if (missing.length) return [`Stack '${stackName}' is missing configuration value(s) ${missing.join(", ")}`];
  const errors: string[] = [];
  for (const key of Object.keys(proj.config).sort()) {
    const decl = proj.config[key];
    if (decl.type !== undefined && decl.secret === true && !merged[key]?.secure) {
      errors.push(`Stack '${stackName}' with configuration key '${key}' must be encrypted as it's secret`);
    }
  }
  return errors;
}

test("the Pulumi CLI's config check passes Pulumi.yaml with the example stack and with secrets set", () => {
  const stack = YAML.parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8"));
  const plain = Object.fromEntries(Object.keys(stack.config).map((k) => [k, { secure: false }]));
  assert.deepEqual(cliConfigErrors(project, plain), []);
  const withSecrets = { ...plain, "vpn:rfc2136Secret": { secure: true }, "vpn:passwords": { secure: true } };
  assert.deepEqual(cliConfigErrors(project, withSecrets), []);
  for (const [key, decl] of Object.entries(project.config as Record<string, any>)) {
    assert.ok(!(decl.secret === true && decl.default !== undefined), `${key}: secret: true with a default stops every pulumi command (pulumi/pulumi#21865)`);
  }
});

test("the CLI check catches the defect it is here for (a typed secret key with a default)", () => {
  const broken = { ...project, config: { ...project.config, "vpn:rfc2136Secret": { type: "string", secret: true, default: "" } } };
  const stack = { "vpn:zone": { secure: false }, "vpn:users": { secure: false } };
  assert.deepEqual(cliConfigErrors(broken, stack), ["Stack 'dev' with configuration key 'vpn:rfc2136Secret' must be encrypted as it's secret"]);
});
