// The GitHub workflows' security layout, read from the YAML (docs/gitops.md, "Threat
// model"): no secret at workflow level; the `test` job (the pull request's code) gets
// none; a job that gets a secret does so through an environment (reviewers and
// branch rules live there: https://docs.github.com/en/actions/reference/workflows-and-actions/deployments-and-environments);
// pull-request previews run only for this repository's branches and only with
// read-only credentials; `up` and the renewal hold the read-write token in
// `production`; no `pull_request_target` (it hands secrets to fork code); every action
// is pinned by full commit SHA with its tag in a comment
// (https://docs.github.com/en/actions/reference/security/secure-use#using-third-party-actions).
// Each rule is also shown to fire on a workflow that breaks it, and `actionlint` (with
// shellcheck on the `run:` blocks) runs where it is installed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Workflow {
  file: string;
  text: string;
  doc: any;
}

const load = (file: string, text = readFileSync(join(DIR, file), "utf8")): Workflow => ({ file, text, doc: parse(text) });
const SECRET = /\$\{\{[^}]*\bsecrets\./;
/** `secrets.NAME` references in a value (github.token is the run's own token, not a stored secret). */
const secretsIn = (v: unknown): string[] => [...JSON.stringify(v ?? null).matchAll(/\bsecrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);
const triggers = (doc: any): string[] => (typeof doc.on === "string" ? [doc.on] : Array.isArray(doc.on) ? doc.on : Object.keys(doc.on ?? {}));
const environmentOf = (job: any): string | undefined => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const WRITE_TOKEN = "LINODE_TOKEN";

/** Every way a workflow breaks the layout above, one line each. */
export function problems(w: Workflow): string[] {
  const out: string[] = [];
  const at = (where: string, what: string) => out.push(`${w.file}: ${where}: ${what}`);
  if (triggers(w.doc).includes("pull_request_target")) at("on", "pull_request_target runs with secrets for fork pull requests");
  if (SECRET.test(JSON.stringify(w.doc.env ?? {}))) at("env", "a secret at workflow level reaches every job");
  for (const [perm, level] of Object.entries(w.doc.permissions ?? {}))
    if (level === "write") at("permissions", `workflow-level ${perm}: write reaches every job`);
  const prTriggered = triggers(w.doc).includes("pull_request");
  for (const [name, job] of Object.entries<any>(w.doc.jobs ?? {})) {
    const used = secretsIn(job);
    const env = environmentOf(job);
    if (name === "test" && used.length) at(`jobs.${name}`, `the test job runs pull-request code and must get no secret (got ${used.join(", ")})`);
    if (used.length && !env) at(`jobs.${name}`, `secrets (${used.join(", ")}) outside an environment`);
    if (job.permissions === undefined && w.doc.permissions === undefined)
      at(`jobs.${name}`, "no permissions at job or workflow level (the default token may be read-write)");
    // A job that can run for a pull request runs its code: read-only credentials, the approval environment, no forks.
    const runsForPr = prTriggered && (job.if === undefined || /pull_request/.test(String(job.if)));
    if (runsForPr && used.length) {
      if (!String(job.if ?? "").includes(FORK_GUARD)) at(`jobs.${name}.if`, `no fork guard (${FORK_GUARD})`);
      if (env !== "preview") at(`jobs.${name}.environment`, `pull-request code with secrets must wait for approval in "preview" (got ${env})`);
      if (used.includes(WRITE_TOKEN)) at(`jobs.${name}`, `the read-write ${WRITE_TOKEN} reaches pull-request code`);
      for (const [k, v] of Object.entries<string>(job.env ?? {})) {
        if (/^(LINODE_TOKEN|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)$/.test(k) && !/READ_ONLY/.test(String(v)))
          at(`jobs.${name}.env.${k}`, `not a read-only credential (${v})`);
      }
    }
    if (used.includes(WRITE_TOKEN) && env !== "production") at(`jobs.${name}`, `the read-write ${WRITE_TOKEN} outside "production" (got ${env})`);
    for (const [i, step] of (job.steps ?? []).entries()) {
      if (step.uses && !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(step.uses) && !String(step.uses).startsWith("./"))
        at(`jobs.${name}.steps[${i}]`, `${step.uses} is not pinned by a full commit SHA`);
    }
  }
  // The tag rides in a comment on the same line (YAML drops comments).
  for (const [n, line] of w.text.split("\n").entries()) {
    const m = /^\s*-?\s*uses:\s*([^\s#]+)(.*)$/.exec(line);
    if (m && !m[1].startsWith("./") && !/^\s*#\s*v\d+(\.\d+){0,2}\s*$/.test(m[2])) at(`line ${n + 1}`, `${m[1]} has no "# vX.Y.Z" tag comment`);
  }
  return out;
}

const workflows = FILES.map((f) => load(f));
const byName = (f: string) => workflows.find((w) => w.file === f)!;

describe("workflows: secrets by least privilege, pinned actions", () => {
  it("finds the workflows", () => {
    assert.deepEqual(FILES, ["drift.yml", "pulumi.yml", "renew.yml", "test-all.yml"]);
  });

  for (const w of workflows) {
    it(`${w.file} keeps the layout`, () => {
      assert.deepEqual(problems(w), []);
    });
  }

  it("pulumi.yml: test has no secret, preview is read-only in its own environment and never for forks, up is in production", () => {
    const jobs = byName("pulumi.yml").doc.jobs;
    assert.deepEqual(secretsIn(jobs.test), []);
    assert.equal(environmentOf(jobs.test), undefined);
    assert.equal(environmentOf(jobs.preview), "preview");
    assert.match(jobs.preview.if, /github\.event_name == 'pull_request'/);
    assert.ok(jobs.preview.if.includes(FORK_GUARD), jobs.preview.if);
    assert.equal(jobs.preview.env.LINODE_TOKEN, "${{ secrets.LINODE_TOKEN_READ_ONLY }}");
    assert.equal(environmentOf(jobs.up), "production");
    assert.equal(jobs.up.env.LINODE_TOKEN, "${{ secrets.LINODE_TOKEN }}");
    assert.match(jobs.up.if, /refs\/heads\/main/);
  });

  it("drift.yml: nightly, the refresh-preview with read-only credentials, one issue on drift", () => {
    const w = byName("drift.yml");
    assert.ok(w.doc.on.schedule?.length, "scheduled");
    const job = w.doc.jobs.drift;
    assert.equal(environmentOf(job), "drift");
    assert.deepEqual(job.permissions, { contents: "read", issues: "write" });
    assert.match(job.env.LINODE_TOKEN, /READ_ONLY/);
    const runs = job.steps
      .filter((s: any) => s.run)
      .map((s: any) => s.run)
      .join("\n");
    assert.match(runs, /scripts\/gitops\/drift\.sh/);
    assert.match(runs, /scripts\/gitops\/drift-issue\.sh/);
    assert.match(readFileSync(join(ROOT, "scripts/gitops/drift.sh"), "utf8"), /pulumi preview --refresh --expect-no-changes/);
    assert.equal(w.doc.concurrency.group, byName("renew.yml").doc.concurrency.group, "never half-way through an update");
  });

  it("renew.yml and up: through scripts/gitops/up.sh in production, on DEPLOY_RUNNER (an address SSH admits), sharing main's concurrency group", () => {
    const w = byName("renew.yml");
    const job = w.doc.jobs.renew;
    assert.equal(environmentOf(job), "production");
    assert.ok(job.steps.some((s: any) => /^scripts\/gitops\/up\.sh /.test(s.run)));
    assert.ok(byName("pulumi.yml").doc.jobs.up.steps.some((s: any) => /^scripts\/gitops\/up\.sh /.test(s.run)));
    assert.equal(w.doc.concurrency.group, "pulumi-refs/heads/main");
    for (const j of [job, byName("pulumi.yml").doc.jobs.up]) assert.equal(j["runs-on"], "${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}");
  });

  it("one SHA per action across every workflow", () => {
    const pins = new Map<string, Set<string>>();
    for (const w of workflows) {
      for (const m of w.text.matchAll(/uses:\s*([\w.-]+\/[\w.-]+)@(\S+)\s*#\s*(\S+)/g)) {
        pins.set(m[1], (pins.get(m[1]) ?? new Set()).add(`${m[2]} ${m[3]}`));
      }
    }
    assert.ok(pins.size >= 3, [...pins.keys()].join(", "));
    for (const [action, shas] of pins) assert.equal(shas.size, 1, `${action}: ${[...shas].join(" / ")}`);
  });

  // Each rule fires: the same workflows, broken one way at a time.
  const broken: [string, string, (t: string) => string, RegExp][] = [
    [
      "a workflow-level secret",
      "pulumi.yml",
      (t) => t.replace("env:\n  STACK:", "env:\n  LINODE_TOKEN: ${{ secrets.LINODE_TOKEN }}\n  STACK:"),
      /secret at workflow level/,
    ],
    [
      "a secret in the test job",
      "pulumi.yml",
      (t) => t.replace("      - run: npm test", "      - run: npm test\n        env:\n          X: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"),
      /test job .* no secret/,
    ],
    ["no fork guard", "pulumi.yml", (t) => t.replace(` && ${FORK_GUARD}`, ""), /no fork guard/],
    ["preview outside its environment", "pulumi.yml", (t) => t.replace("environment: preview", "environment: production"), /wait for approval in "preview"/],
    [
      "the read-write token in preview",
      "pulumi.yml",
      (t) => t.replace("secrets.LINODE_TOKEN_READ_ONLY", "secrets.LINODE_TOKEN"),
      /read-write LINODE_TOKEN reaches pull-request code/,
    ],
    ["up without an environment", "pulumi.yml", (t) => t.replace("    environment: production\n", ""), /outside an environment/],
    ["a tag pin", "pulumi.yml", (t) => t.replace(/actions\/checkout@[0-9a-f]{40} # v6\.1\.0/, "actions/checkout@v6"), /not pinned by a full commit SHA/],
    ["a SHA without its tag", "renew.yml", (t) => t.replace(" # v6.6.1", ""), /no "# vX\.Y\.Z" tag comment/],
    ["pull_request_target", "drift.yml", (t) => t.replace("  workflow_dispatch: {}", "  workflow_dispatch: {}\n  pull_request_target:"), /pull_request_target/],
  ];
  for (const [what, file, mutate, expected] of broken) {
    it(`the check catches ${what}`, () => {
      const w = byName(file);
      const text = mutate(w.text);
      assert.notEqual(text, w.text, "the mutation applies");
      const found = problems(load(file, text));
      assert.ok(
        found.some((p) => expected.test(p)),
        found.join("\n") || "no problem found",
      );
    });
  }

  it("actionlint (shellcheck on run: blocks) is clean", (t) => {
    const which = spawnSync("sh", ["-c", "command -v actionlint"], { encoding: "utf8" });
    if (which.status !== 0) return t.skip("actionlint not installed (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)");
    const shellcheck = spawnSync("sh", ["-c", "command -v shellcheck"], { encoding: "utf8" }).status === 0;
    if (!shellcheck) t.diagnostic("shellcheck not installed (apt-get install shellcheck): run: blocks are not linted");
    const r = spawnSync(which.stdout.trim(), ["-no-color"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
