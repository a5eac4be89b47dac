// npm run users -- rotate: with a fake `pulumi` on PATH that records its argv, its
// stdin and the backend it was given, and answers `pulumi config` as the real CLI
// does (v3.248: JSON elides secret values; the table shows a secret map's keys).
// What is checked: the new password goes to `pulumi config set --secret` on stdin
// only (never argv, never the output); a user without an entry gets vpn:rotations
// bumped; the update runs after the change and asks unless --yes; nothing changes
// when the user is unknown, no passphrase is set, or nobody could answer pulumi up's
// question; the backend is up.sh's. The last test runs the real CLI (when installed)
// to show the two behaviours relied on: a value read from stdin, a number stored
// by --path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePassword } from "../../scripts/users";
import { findPulumi } from "../../scripts/lib/findPulumi";

const ROOT = join(__dirname, "..", "..");
const TS = ["--require", require.resolve("ts-node/register/transpile-only")];

const FAKE_PULUMI = `#!/bin/sh
printf 'argv\\t%s\\t%s\\n' "\${PULUMI_BACKEND_URL--unset-}" "$*" >>"$FAKE_DIR/log"
if [ ! -f "$FAKE_DIR/config.json" ]; then echo "error: no stack named 'mystack' found" >&2; exit 255; fi
case "$1" in
  config)
    case "$2" in
      --json) cat "$FAKE_DIR/config.json" ;;
      --stack) cat "$FAKE_DIR/config.txt" ;;
      get) cat "$FAKE_DIR/passwords.json" ;;
      set) printf 'stdin\\t%s\\n' "$(cat)" >>"$FAKE_DIR/log" ;;
    esac ;;
  up) echo "fake pulumi: up"; exit "\${FAKE_UP_RC:-0}" ;;
esac
exit 0
`;

interface Fake {
  dir: string;
  proj: string;
  env: Record<string, string>;
}

/** The config as `pulumi config --json` prints it: plain entries, secret ones as {secret: true}. */
function configJson(plain: Record<string, unknown>, secret: string[]): string {
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(plain))
    doc[k] = typeof v === "object" ? { value: JSON.stringify(v), objectValue: v, secret: false } : { value: String(v), secret: false };
  for (const k of secret) doc[k] = { secret: true };
  return JSON.stringify(doc, null, 2);
}

/** `pulumi config`'s table in a project named vpn (PrettyKey drops the namespace). */
function configTable(rows: Record<string, string>): string {
  return ["KEY        VALUE", ...Object.entries(rows).map(([k, v]) => `${k.padEnd(9)}  ${v}`), ""].join("\n");
}

function fake(opts: { plain?: Record<string, unknown>; secret?: string[]; table?: Record<string, string>; passwords?: string; noStack?: boolean } = {}): Fake {
  const dir = mkdtempSync(join(tmpdir(), "users-"));
  const proj = join(dir, "proj");
  const bin = join(dir, "bin");
  mkdirSync(proj);
  mkdirSync(bin);
  writeFileSync(join(proj, "Pulumi.yaml"), "name: vpn\nruntime: nodejs\n");
  writeFileSync(join(bin, "pulumi"), FAKE_PULUMI);
  chmodSync(join(bin, "pulumi"), 0o755);
  writeFileSync(join(dir, "log"), "");
  const plain = opts.plain ?? { "vpn:users": ["alice", { name: "bob.smith", expires: "2027-01-31" }], "vpn:rotations": { "bob.smith": 2 } };
  if (!opts.noStack) writeFileSync(join(dir, "config.json"), configJson(plain, opts.secret ?? ["vpn:passwords"]));
  writeFileSync(join(dir, "config.txt"), configTable(opts.table ?? { passwords: '{"alice":"[secret]"}', rotations: '{"bob.smith":2}' }));
  if (opts.passwords) writeFileSync(join(dir, "passwords.json"), opts.passwords);
  const env: Record<string, string> = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: dir,
    FAKE_DIR: dir,
    PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple",
    TS_NODE_PROJECT: join(ROOT, "tsconfig.json"),
  };
  return { dir, proj, env };
}

function users(f: Fake, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...TS, join(ROOT, "scripts/users.ts"), ...args], {
    cwd: f.proj,
    encoding: "utf8",
    env: { ...f.env, ...env },
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = readFileSync(join(f.dir, "log"), "utf8").split("\n").filter(Boolean);
  const calls = log.filter((l) => l.startsWith("argv\t")).map((l) => l.split("\t"));
  const stdin = log.filter((l) => l.startsWith("stdin\t")).map((l) => l.slice(6));
  return { ...r, log: log.join("\n"), argv: calls.map((c) => c[2]), backends: calls.map((c) => c[1]), stdin };
}

function assertPassword(pw: string) {
  assert.match(pw, /^[A-Za-z0-9]{28}$/);
  assert.ok(
    (pw.match(/[a-z]/g) ?? []).length >= 2 && (pw.match(/[A-Z]/g) ?? []).length >= 2 && (pw.match(/[0-9]/g) ?? []).length >= 2,
    "2 lower, 2 upper, 2 digits",
  );
}

test("generated passwords: 28 of the 62 symbols, the RandomPassword minimums, never the same twice", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const pw = generatePassword();
    assertPassword(pw);
    seen.add(pw);
  }
  assert.equal(seen.size, 2000);
  // Every symbol turns up (a mapping that dropped one would show here).
  assert.equal(new Set([...seen].join("")).size, 62);
});

test("a user with an entry in vpn:passwords: a new one on stdin of config set --secret, then pulumi up --yes", () => {
  const f = fake();
  const r = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.argv, [
    "config --json --stack mystack",
    "config --stack mystack",
    'config set --secret --path vpn:passwords["alice"] --stack mystack',
    "up --yes --stack mystack",
  ]);
  assert.equal(r.stdin.length, 1);
  const pw = r.stdin[0];
  assertPassword(pw);
  assert.ok(!r.argv.some((a) => a.includes(pw)), "the password is on no command line");
  assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), "the password is never printed");
  // The project's own file backend, as up.sh uses it when nothing else is recorded.
  assert.deepEqual(new Set(r.backends), new Set([`file://${join(f.proj, ".pulumi-state")}`]));
  assert.match(r.stdout, /^alice has a new password on stack mystack/m);
  assert.match(r.stdout, /^ {2}npm run profiles -- --stack mystack --out profiles\/$/m);
});

test("a user with a generated password: vpn:rotations.<user> goes up by one (a number), nothing on stdin", () => {
  const f = fake();
  const r = users(f, ["rotate", "bob.smith", "--stack", "mystack", "--yes"]);
  assert.equal(r.status, 0, r.stderr);
  // The bracket form keeps "bob.smith" one path element (--path 'vpn:rotations.bob.smith' would nest).
  assert.deepEqual(r.argv.slice(2), ['config set --path vpn:rotations["bob.smith"] 3 --stack mystack', "up --yes --stack mystack"]);
  assert.deepEqual(r.stdin, [""]);
  assert.match(r.stderr, /bob\.smith: a new generated password \(vpn:rotations\.bob\.smith 2 -> 3\)/);
});

test("a first rotation, and no vpn:passwords at all: vpn:rotations.<user> = 1", () => {
  const f = fake({ plain: { "vpn:users": ["alice"] }, secret: [], table: {} });
  const r = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.argv, ["config --json --stack mystack", 'config set --path vpn:rotations["alice"] 1 --stack mystack', "up --yes --stack mystack"]);
});

test("vpn:passwords encrypted as one value: rewritten whole, the others kept, still one encrypted value", () => {
  const f = fake({ table: { passwords: "[secret]" }, passwords: '{"alice":"OldSecret1","bob.smith":"BobsSecret9"}\n' });
  const r = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.argv.slice(2), [
    "config get vpn:passwords --stack mystack",
    "config set --secret vpn:passwords --stack mystack",
    "up --yes --stack mystack",
  ]);
  const map = JSON.parse(r.stdin[0]) as Record<string, string>;
  assert.equal(map["bob.smith"], "BobsSecret9");
  assertPassword(map.alice);
  assert.ok(!`${r.stdout}${r.stderr}`.includes("BobsSecret9") && !`${r.stdout}${r.stderr}`.includes(map.alice));
  // A user not in that map gets the rotation instead.
  const g = fake({ table: { passwords: "[secret]" }, passwords: '{"alice":"OldSecret1"}' });
  const s = users(g, ["rotate", "bob.smith", "--stack", "mystack", "--yes"]);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(s.argv.includes('config set --path vpn:rotations["bob.smith"] 3 --stack mystack'));
});

test("an unknown user, no passphrase, no terminal, a stack that does not exist: one line, exit 2, nothing changed", () => {
  const cases: [string[], Record<string, string>, RegExp, Partial<Parameters<typeof fake>[0]>?][] = [
    [["rotate", "mallory", "--stack", "mystack", "--yes"], {}, /^users: user mallory is not in vpn:users of stack mystack \(users: alice, bob\.smith\)$/],
    [["rotate", "alice", "--stack", "mystack", "--yes"], { PULUMI_CONFIG_PASSPHRASE: "" }, /^users: set PULUMI_CONFIG_PASSPHRASE/],
    // Without --yes pulumi up must ask, and there is no terminal here to ask on.
    [["rotate", "alice", "--stack", "mystack"], {}, /^users: not a terminal, so pulumi up cannot show the preview and ask: .* --yes'$/],
    [["rotate", "alice", "--stack", "mystack", "--yes"], {}, /^users: stack mystack does not exist/, { noStack: true }],
    [["rotate", "--stack", "mystack"], {}, /^users: rotate needs the user/],
    [["frobnicate", "--stack", "mystack"], {}, /^users: unknown action frobnicate: rotate or list$/],
    [["rotate", "alice", "bob", "--stack", "mystack"], {}, /^users: unexpected argument bob$/],
  ];
  for (const [args, env, msg, opts] of cases) {
    const f = fake(opts);
    const r = users(f, args, env);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trimEnd(), msg);
    assert.ok(!r.argv.some((a) => a.startsWith("config set") || a.startsWith("up")), `${args.join(" ")}: nothing changed (${r.argv.join("; ")})`);
  }
});

test("the backend: a recorded one is used; a different PULUMI_BACKEND_URL is refused before anything runs", () => {
  const f = fake();
  mkdirSync(join(f.proj, ".pulumi-state"));
  writeFileSync(join(f.proj, ".pulumi-state", "backend-url"), "s3://team-state?region=us-east-1\n");
  const r = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(new Set(r.backends), new Set(["s3://team-state?region=us-east-1"]));
  const g = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"], { PULUMI_BACKEND_URL: "file:///elsewhere" });
  assert.equal(g.status, 2);
  assert.match(g.stderr, /^users: PULUMI_BACKEND_URL is file:\/\/\/elsewhere but the stacks of this project are in s3:\/\/team-state/);
  assert.equal(g.argv.length, r.argv.length, "no pulumi command for the refused run");
});

test("pulumi up declined or failed: exit 1, one line saying the rotation waits for the next update", () => {
  const f = fake();
  const r = users(f, ["rotate", "alice", "--stack", "mystack", "--yes"], { FAKE_UP_RC: "255" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^users: pulumi up did not complete for stack mystack .* pulumi up --stack mystack'$/m);
  assert.doesNotMatch(r.stdout, /npm run profiles/);
});

test("list: expiry, devices, quota, state and where the password comes from, no secret read", () => {
  const f = fake({
    plain: {
      "vpn:users": ["alice", { name: "bob.smith", expires: "2020-01-31", maxDevices: 2, monthlyQuotaGB: 50 }, { name: "carol", disabled: true }],
      "vpn:rotations": { "bob.smith": 2 },
    },
  });
  const r = users(f, ["list", "--stack", "mystack"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.argv, ["config --json --stack mystack", "config --stack mystack"]);
  assert.match(r.stdout, /^alice +- +unlimited +- +active +vpn:passwords$/m);
  assert.match(r.stdout, /^bob\.smith +2020-01-31 00:00 UTC \(passed\) +2 +50 GB +EXPIRED +generated, rotated 2x$/m);
  assert.match(r.stdout, /^carol .* disabled +generated$/m);
});

test(
  "the real CLI: config set reads the value from stdin (stored encrypted); --path stores an integer as a number",
  { skip: findPulumi() ? false : "no pulumi CLI installed" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "users-cli-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: vpn\nruntime: nodejs\n");
    mkdirSync(join(dir, "state"));
    const env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "pp",
      PULUMI_SKIP_UPDATE_CHECK: "1",
      PULUMI_HOME: join(dir, "home"),
    };
    const pulumi = (args: string[], input = "") => {
      const r = spawnSync(findPulumi()!, args, { cwd: dir, env, encoding: "utf8", input, timeout: 60_000 });
      assert.equal(r.status, 0, `pulumi ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    pulumi(["stack", "init", "s", "--secrets-provider", "passphrase"]);
    pulumi(["config", "set", "--secret", "--path", 'vpn:passwords["a.b"]', "--stack", "s"], "FromStdin42\n");
    pulumi(["config", "set", "--path", 'vpn:rotations["a.b"]', "3", "--stack", "s"]);
    const yaml = readFileSync(join(dir, "Pulumi.s.yaml"), "utf8");
    assert.match(yaml, /^ {2}vpn:passwords:\n {4}a\.b:\n {6}secure: v1:/m);
    assert.doesNotMatch(yaml, /FromStdin42/);
    assert.match(yaml, /^ {2}vpn:rotations:\n {4}a\.b: 3$/m, 'a YAML number, not "3"');
    assert.equal(pulumi(["config", "get", "--path", 'vpn:passwords["a.b"]', "--stack", "s"]).trim(), "FromStdin42");
    // What secretMapKeys reads: the keys, the values blinded.
    assert.match(pulumi(["config", "--stack", "s"]), /^passwords +\{"a\.b":"\[secret\]"\}$/m);
  },
);
