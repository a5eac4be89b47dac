// scripts/up.sh, the first deploy, end to end with a fake `pulumi` and a fake `npm`:
// it names the stack it acts on and uses that name in every hint; it never runs
// `pulumi login` (the backend goes to each pulumi command as PULUMI_BACKEND_URL); the
// first `pulumi up` asks (`--yes` is for pipelines, and without a terminal it says so);
// every hint is a command that works then, and every README heading it names exists;
// a failing `pulumi up` ends with one line saying how to retry. Without a CLI on PATH
// (finding or installing it, the PATH line): up-sh-install.test.ts. The world it runs
// in (a project copy, fakes, its own PATH and HOME): ./up-sh-fixture.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  anchor,
  assertHeadingsExist,
  assertHintsWork,
  HAVE_SCRIPT,
  oneErrorLine,
  pulumiCalls,
  README,
  readmeHeadings,
  ROOT,
  STACK,
  upSh,
  upShInTerminal,
  world,
} from "./up-sh-fixture";

test("up.sh --help prints the usage (stack required, --yes for pipelines) and exits 0; bad usage is one line, exit 2", () => {
  const w = world({ cli: "path" });
  const help = upSh(w, ["--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: \.\/scripts\/up\.sh \[--yes\] <stack>\n/);
  assert.match(help.stdout, /--yes/);
  assert.equal(help.stderr, "");
  assertHeadingsExist(help.stdout, "up.sh --help");
  for (const [args, msg] of [
    [[], /^up\.sh: usage: \.\/scripts\/up\.sh \[--yes\] <stack>/],
    [["--bogus", STACK], /^up\.sh: unknown option --bogus/],
    [[STACK, "other"], /^up\.sh: one stack name, got 2/],
    [["my stack"], /^up\.sh: "my stack" is not a stack name/],
  ] as const) {
    const r = upSh(w, [...args]);
    assert.equal(r.status, 2, `${JSON.stringify(args)}: ${r.stderr}`);
    assert.match(oneErrorLine(r.stderr), msg);
  }
  assert.deepEqual(readFileSync(w.log, "utf8"), "", "nothing ran");
});

test("up.sh names the stack it acts on, and every command it runs or prints uses that one name", () => {
  const w = world({ cli: "path" });
  const r = upSh(w, ["--yes", STACK]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stderr.split("\n")[0], new RegExp(`^Stack ${STACK} \\(Pulumi\\.${STACK}\\.yaml\\), backend `));
  const argvs = pulumiCalls(r.calls).map(([, argv]) => argv);
  assert.ok(argvs.includes(`stack select --create --secrets-provider passphrase ${STACK}`), argvs.join("\n"));
  assert.ok(argvs.includes(`up --yes --stack ${STACK}`), argvs.join("\n"));
  assert.doesNotMatch(r.out, /\bdev\b/, "the example stack's name appears");
  assertHintsWork(r.out);
});

test("up.sh never runs pulumi login: each pulumi command gets PULUMI_BACKEND_URL, the project's file backend by default", () => {
  const w = world({ cli: "path" });
  const r = upSh(w, ["--yes", STACK]);
  assert.equal(r.status, 0, r.out);
  const calls = pulumiCalls(r.calls);
  assert.ok(calls.length >= 4, r.calls.join("\n"));
  assert.ok(!calls.some(([, argv]) => /^login\b/.test(argv)), `pulumi login ran:\n${r.calls.join("\n")}`);
  const local = `file://${w.proj}/.pulumi-state`;
  for (const [backend, argv] of calls) assert.equal(backend, local, `pulumi ${argv}`);
  assert.ok(existsSync(join(w.proj, ".pulumi-state")));
  assert.ok(!existsSync(join(w.home, ".pulumi", "credentials.json")));
  // and says how to reach it from the user's own shell
  assert.match(r.stdout, new RegExp(`^ {2}export PULUMI_BACKEND_URL="${local.replace(/[.]/g, "\\.")}"$`, "m"));
});

test("up.sh with a shared backend: PULUMI_BACKEND_URL is used, recorded for this project, and a different one later is refused", () => {
  const w = world({ cli: "path" });
  const shared = `file://${w.dir}/shared-state`;
  const first = upSh(w, ["--yes", STACK], { PULUMI_BACKEND_URL: shared });
  assert.equal(first.status, 0, first.out);
  for (const [backend, argv] of pulumiCalls(first.calls)) assert.equal(backend, shared, `pulumi ${argv}`);
  // A later run without the variable stays on the recorded backend (no second stack elsewhere).
  writeFileSync(w.log, "");
  const again = upSh(w, ["--yes", STACK]);
  assert.equal(again.status, 0, again.out);
  for (const [backend, argv] of pulumiCalls(again.calls)) assert.equal(backend, shared, `pulumi ${argv}`);
  assert.match(again.stderr, new RegExp(`backend ${shared.replace(/[.]/g, "\\.")}`));
  // Another backend in the environment: one line, exit 2, nothing run.
  writeFileSync(w.log, "");
  const other = upSh(w, ["--yes", STACK], { PULUMI_BACKEND_URL: `file://${w.dir}/elsewhere` });
  assert.equal(other.status, 2, other.out);
  assert.match(
    oneErrorLine(other.stderr),
    /^up\.sh: PULUMI_BACKEND_URL is file:\/\/.*\/elsewhere but the stacks of this project are in file:\/\/.*\/shared-state/,
  );
  assert.deepEqual(other.calls, []);
});

test("up.sh without --yes and without a terminal: one line saying to pass --yes, before anything is installed or run", () => {
  const w = world({ cli: "path" });
  const r = upSh(w, [STACK]);
  assert.equal(r.status, 2, r.out);
  const line = oneErrorLine(r.stderr);
  assert.match(line, /not a terminal/);
  assert.match(line, new RegExp(`'\\./scripts/up\\.sh --yes ${STACK}'`));
  assert.deepEqual(r.calls, [], "nothing ran");
  assertHintsWork(r.out);
});

test("up.sh with --yes passes --yes to pulumi up; in a terminal without it, pulumi up asks", { skip: !HAVE_SCRIPT && "no util-linux script" }, () => {
  const w = world({ cli: "path" });
  const r = upShInTerminal(w, [STACK]);
  assert.equal(r.status, 0, r.out);
  const ups = pulumiCalls(r.calls)
    .map(([, argv]) => argv)
    .filter((a) => /^up\b/.test(a));
  assert.deepEqual(ups, [`up --stack ${STACK}`]);
  writeFileSync(w.log, "");
  const y = upSh(w, [STACK, "--yes"]);
  assert.equal(y.status, 0, y.out);
  assert.deepEqual(
    pulumiCalls(y.calls)
      .map(([, a]) => a)
      .filter((a) => /^up\b/.test(a)),
    [`up --yes --stack ${STACK}`],
  );
});

test("up.sh's hints before anything exists are commands that work then (no pulumi config before a stack exists)", () => {
  const w = world({ cli: "path" });
  for (const [env, msg] of [
    [{ LINODE_TOKEN: "" }, /^up\.sh: no Linode token: /],
    [{ PULUMI_CONFIG_PASSPHRASE: "" }, /^up\.sh: set PULUMI_CONFIG_PASSPHRASE/],
  ] as const) {
    const r = upSh(w, ["--yes", STACK], env);
    assert.equal(r.status, 2, r.out);
    assert.match(oneErrorLine(r.stderr), msg);
    assert.doesNotMatch(r.stderr, /pulumi config/, "a pulumi command before the CLI, the backend and the stack exist");
    assertHintsWork(r.out);
  }
  const noFile = upSh(w, ["--yes", "other"]);
  assert.equal(noFile.status, 2);
  assert.match(oneErrorLine(noFile.stderr), /^up\.sh: no Pulumi\.other\.yaml: /);
  assert.match(noFile.stderr, /'cp Pulumi\.dev\.yaml Pulumi\.other\.yaml'/);
  assertHintsWork(noFile.out, "other");
  assert.deepEqual(readFileSync(w.log, "utf8"), "", "nothing ran");
});

test('the README headings the scripts name exist, and so do the links of "The two commands"', () => {
  const dir = join(ROOT, "scripts");
  const files = [
    ...readdirSync(dir)
      .filter((f) => /\.(ts|sh)$/.test(f))
      .map((f) => join(dir, f)),
    ...readdirSync(join(dir, "lib"))
      .filter((f) => /\.(ts|sh)$/.test(f))
      .map((f) => join(dir, "lib", f)),
  ];
  for (const f of files) assertHeadingsExist(readFileSync(f, "utf8"), f.slice(ROOT.length + 1));
  const section = /\n## The two commands\n([\s\S]*?)\n## /.exec(README);
  assert.ok(section, "README has the section");
  const anchors = new Set([...readmeHeadings()].map(anchor));
  for (const m of section[1].matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(m[1]), `no heading for #${m[1]}`);
  // One stack name from the quick start on; no global login; the way back to a plain pulumi up.
  const names = [...section[1].matchAll(/(?:--stack |\.\/scripts\/up\.sh (?:--yes )?|Pulumi\.(?=\w+\.yaml))([A-Za-z0-9][\w-]*)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(names.filter((n) => n !== "dev"))], [STACK], names.join(" "));
  assert.ok(names.filter((n) => n === "dev").length === 1, "only `cp Pulumi.dev.yaml` names the example stack");
  assert.doesNotMatch(section[1], /^pulumi login/m);
  assert.match(section[1], /^export PATH="\$HOME\/\.pulumi\/bin:\$PATH"$/m);
  assert.match(section[1], /PULUMI_BACKEND_URL/);
});

test("a failing pulumi up: one up.sh line after pulumi's own output, exit 1, saying how to retry", () => {
  const w = world({ cli: "path" });
  const fail = join(w.dir, "cli", "pulumi");
  writeFileSync(fail, readFileSync(fail, "utf8").replace('up) echo "fake pulumi: up $*" ;;', 'up) echo "error: boom" >&2; exit 255 ;;'));
  const r = upSh(w, ["--yes", STACK]);
  assert.equal(r.status, 1, r.out);
  const mine = r.stderr.split("\n").filter((l) => l.startsWith("up.sh: "));
  assert.equal(mine.length, 1, r.stderr);
  assert.match(mine[0], new RegExp(`^up\\.sh: pulumi up did not complete for stack ${STACK}`));
  assertHintsWork(mine[0]);
});
