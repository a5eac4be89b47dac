// What a new user sees from each command on a mistake: one clear line and a
// non-zero exit, never a stack trace; `--help` answers with exit 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CommandSpec, parseOptions, reportError, UsageError } from "../../scripts/lib/cli";

const ROOT = join(__dirname, "..", "..");
const TS = ["--require", "ts-node/register/transpile-only"];
const env = { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") };

function render(args: string[]) {
  return spawnSync(process.execPath, [...TS, "scripts/render.ts", ...args], { cwd: ROOT, encoding: "utf8", env });
}

test("render --help explains the offline limits and exits 0", () => {
  const r = render(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: npm run render/);
  assert.match(r.stdout, /no <user>-signed\.mobileconfig/);
  assert.match(r.stdout, /vpn:region is checked for its format only/);
});

test("render with a missing file, an unknown option or no --out: one line, exit 2", () => {
  const out = mkdtempSync(join(tmpdir(), "render-err-"));
  for (const [args, msg] of [
    [["--config", "/nonexistent/stack.yaml", "--out", out], /^render: no such file: \/nonexistent\/stack\.yaml$/],
    [["--config", "Pulumi.dev.yaml", "--out", out, "--bogus"], /^render: unknown option --bogus/],
    [["--config", "Pulumi.dev.yaml"], /^render: --out is required/],
  ] as const) {
    const r = render([...args]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trim(), msg);
  }
});

test("up.sh checks the passphrase before it touches the network or installs anything", () => {
  const r = spawnSync("bash", ["scripts/up.sh", "dev"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", HOME: mkdtempSync(join(tmpdir(), "home-")) },
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^up\.sh: set PULUMI_CONFIG_PASSPHRASE/);
  assert.doesNotMatch(r.stderr + r.stdout, /curl|installing/i);
  const help = spawnSync("bash", ["scripts/up.sh", "--help"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: \.\/scripts\/up\.sh/);
});

// ---- One way for every command to fail: render, profiles and status share the help
// layout, the "<command>: " prefix on every error line, one line per error (control
// characters escaped, never a stack trace) and the exit statuses (2 usage, 1 failed).

const COMMANDS = { render: "scripts/render.ts", profiles: "scripts/profiles.ts", status: "scripts/status.ts" } as const;
type Command = keyof typeof COMMANDS;

function run(cmd: Command, args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...TS, COMMANDS[cmd], ...args], { cwd: ROOT, encoding: "utf8", env: { ...env, ...extraEnv }, timeout: 60_000 });
}

/** Every stderr line carries the prefix, no control character and no stack frame. */
function assertErrorLines(cmd: Command, stderr: string, lines?: number): string[] {
  const out = stderr.replace(/\n$/, "").split("\n");
  if (lines !== undefined) assert.equal(out.length, lines, stderr);
  for (const l of out) {
    assert.ok(l.startsWith(`${cmd}: `), `no "${cmd}: " prefix: ${JSON.stringify(l)}`);
    assert.doesNotMatch(l, /[\x00-\x08\x0b-\x1f\x7f]/, `control character: ${JSON.stringify(l)}`);
    assert.doesNotMatch(l, /^\s+at .+\(.+:\d+:\d+\)$|node:internal/, "stack trace");
  }
  return out;
}

// A hypothetical env without any Pulumi CLI.
const NO_CLI = () => {
  const tmp = mkdtempSync(join(tmpdir(), "no-cli-"));
  return { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: join(tmp, "home"), PULUMI_HOME: join(tmp, "pulumi") };
};

for (const cmd of Object.keys(COMMANDS) as Command[]) {
  test(`${cmd}: --help and -h print the usage line first, the options and the exit statuses, exit 0`, () => {
    for (const flag of ["--help", "-h"]) {
      const r = run(cmd, [flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, new RegExp(`^usage: npm run ${cmd} -- --`));
      assert.match(r.stdout, /\n {2}--help +this text\n/);
      assert.match(r.stdout, /\nExit status:\n {2}0 {2}\S.*\n {2}1 {2}\S.*\n {2}2 {2}a usage error/);
    }
  });

  test(`${cmd}: no arguments prints the usage as one line, exit 2`, () => {
    const r = run(cmd, []);
    assert.equal(r.status, 2, r.stderr);
    const [line] = assertErrorLines(cmd, r.stderr, 1);
    assert.match(line, new RegExp(`^${cmd}: usage: npm run ${cmd} -- --\\S+ <[^>]+>.* \\(npm run ${cmd} -- --help for more\\)$`));
    assert.equal(r.stdout, "");
  });

  test(`${cmd}: an unknown option, a hostile one, a missing value: one prefixed line, exit 2`, () => {
    const valued = cmd === "render" ? "--config" : "--stack";
    for (const [args, msg] of [
      [["--bogus"], /unknown option --bogus/],
      [["--evil\n\u001b[2J\rname"], /unknown option --evil\\n\\x1b\[2J\\rname/],
      [[valued], new RegExp(`${valued} needs a value`)],
      [[valued, "--out"], new RegExp(`${valued} needs a value`)],
    ] as const) {
      const r = run(cmd, [...args]);
      assert.equal(r.status, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      const [line] = assertErrorLines(cmd, r.stderr, 1);
      assert.match(line, msg);
    }
  });
}

test("profiles and status without a Pulumi CLI: one prefixed line, exit 1 (the command could not run)", () => {
  for (const [cmd, args] of [
    ["profiles", ["--stack", "dev", "--out", mkdtempSync(join(tmpdir(), "p-"))]],
    ["status", ["--stack", "dev"]],
  ] as const) {
    const r = run(cmd, [...args], NO_CLI());
    assert.equal(r.status, 1, r.stderr);
    const [line] = assertErrorLines(cmd, r.stderr, 1);
    assert.match(line, new RegExp(`^${cmd}: the Pulumi CLI is not installed`));
  }
});

test("render: a bad render: map is one line per problem, exit 1, no stack trace", () => {
  const tmp = mkdtempSync(join(tmpdir(), "render-map-"));
  const cfg = join(tmp, "stack.yaml");
  const config = { "vpn:zone": "example.com", "vpn:hostname": "vpn.example.com", "vpn:region": "us-ord", "vpn:users": ["alice"] };
  writeFileSync(
    cfg,
    JSON.stringify({
      config,
      render: {
        "us-ord": { ipv4: "2001:db8::1", ipv6: "198.51.100.1", ipv6Range: "2001:db8::/48", ipv6range: "typo" },
        "x\nrender: ok\u001b[2J": { ipv4: "198.51.100.2", ipv6: "2001:db8::2", ipv6Range: "2001:db8:2::/64" },
      },
    }),
  );
  const r = run("render", ["--config", cfg, "--out", join(tmp, "out")]);
  assert.equal(r.status, 1, r.stderr);
  const lines = assertErrorLines("render", r.stderr);
  assert.deepEqual(lines, [
    'render: render.us-ord.ipv4: must be an IPv4 address, got "2001:db8::1"',
    'render: render.us-ord.ipv6: must be an IPv6 address, got "198.51.100.1"',
    'render: render.us-ord.ipv6Range: must be an IPv6 /64 such as 2001:db8:1::/64, got "2001:db8::/48"',
    "render: render.us-ord: unknown field(s) ipv6range; allowed: ipv4, ipv6, ipv6Range",
    'render: render["x\\nrender: ok\\u001b[2J"]: no such region in the config (have us-ord)',
  ]);
  for (const bad of [[], "us-ord", { "us-ord": "198.51.100.1" }]) {
    writeFileSync(cfg, JSON.stringify({ config, render: bad }));
    const b = run("render", ["--config", cfg, "--out", join(tmp, "out")]);
    assert.equal(b.status, 1, b.stderr);
    assertErrorLines("render", b.stderr, 1);
    assert.match(b.stderr, /^render: render(\.us-ord)?: must be a map/);
  }
});

test("render: an invalid configuration is one prefixed line per problem, exit 1", () => {
  const tmp = mkdtempSync(join(tmpdir(), "render-cfg-"));
  const cfg = join(tmp, "stack.yaml");
  writeFileSync(
    cfg,
    JSON.stringify({ config: { "vpn:zone": "example.com", "vpn:hostname": "vpn.example.com", "vpn:users": ["con", "a\u001b[2Jb"], "vpn:compat": "weak" } }),
  );
  const r = run("render", ["--config", cfg, "--out", join(tmp, "out")]);
  assert.equal(r.status, 1, r.stderr);
  const lines = assertErrorLines("render", r.stderr);
  assert.equal(lines.length, 3, r.stderr);
  assert.ok(lines.some((l) => l.startsWith("render: vpn:compat: must be one of modern, legacy")));
  assert.ok(lines.some((l) => l.startsWith('render: vpn:users[0]: user name "con" is a reserved device name on Windows')));
  assert.ok(lines.some((l) => l.startsWith("render: vpn:users[1]: user name must be")));
});

test("render: a file name with a line break is reported on one line, exit 2", () => {
  const r = run("render", ["--config", "/nonexistent/a\nrender: fine", "--out", tmpdir()]);
  assert.equal(r.status, 2, r.stderr);
  const [line] = assertErrorLines("render", r.stderr, 1);
  assert.equal(line, "render: no such file: /nonexistent/a\\nrender: fine");
});

test("the shared option parser: strict, and every message one line", () => {
  const spec: CommandSpec = {
    name: "demo",
    synopsis: "--stack <name> [--json]",
    about: "",
    options: [
      { flag: "--stack", value: "<name>", text: "", required: true },
      { flag: "--json", text: "" },
    ],
    exitOk: "",
    exitFailed: "",
  };
  assert.deepEqual(parseOptions(spec, ["--stack", "a b", "--json"]), { stack: "a b", json: true });
  assert.deepEqual(parseOptions(spec, ["--stack=x=y"]), { stack: "x=y" });
  for (const [argv, msg] of [
    [["--stack="], /^--stack needs a value/],
    [["--stack", "a", "--stack", "b"], /^--stack is given twice$/],
    [["--stack", "a", "stray"], /^unexpected argument stray$/],
    [["--json"], /^--stack is required \(usage: npm run demo -- --stack <name> \[--json\]\)$/],
    [["--stack", "a", "--json=1"], /^--json takes no value$/],
    [["--Stack", "a"], /^unknown option --Stack$/],
  ] as const) {
    assert.throws(
      () => parseOptions(spec, [...argv]),
      (e: unknown) => e instanceof UsageError && msg.test(e.message),
      JSON.stringify(argv),
    );
  }
});

test("an unexpected error: one prefixed line, exit 1; DEBUG=1 adds the stack", () => {
  const spec = { name: "demo" } as CommandSpec;
  const captured: string[] = [];
  const write = process.stderr.write;
  const debug = process.env.DEBUG;
  process.stderr.write = (s: string) => (captured.push(s), true);
  try {
    delete process.env.DEBUG;
    assert.equal(reportError(spec, new TypeError("boom\n  at somewhere (x.ts:1:1)")), 1);
    assert.equal(reportError(spec, new UsageError("bad \u001b[31m")), 2);
    assert.equal(reportError(spec, { problems: ["a: x", "b: y\nz"] }), 1);
    assert.equal(reportError(spec, "a string"), 1);
    assert.deepEqual(captured.splice(0), ["demo: boom\n", "demo: bad \\x1b[31m\n", "demo: a: x\n", "demo: b: y\\nz\n", "demo: a string\n"]);
    process.env.DEBUG = "1";
    reportError(spec, new Error("with stack"));
    assert.equal(captured[0], "demo: with stack\n");
    assert.match(captured[1], /^Error: with stack\n\s+at /);
  } finally {
    process.stderr.write = write;
    if (debug === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = debug;
  }
});
