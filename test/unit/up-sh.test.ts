// scripts/up.sh, the first deploy, end to end with a fake `pulumi` and a fake `npm`:
// it names the stack it acts on and uses that name in every hint; it never runs
// `pulumi login` (the backend goes to each pulumi command as PULUMI_BACKEND_URL); the
// first `pulumi up` asks (`--yes` is for pipelines, and without a terminal it says so);
// every hint is a command that works then, and every README heading it names exists;
// after installing the CLI the user's next `pulumi up` works (the PATH line, printed
// when installed and again at the end, and when it cannot install at all).
//
// Each run works in a copy of the few files up.sh reads (never in the repository: no
// .pulumi-state or stack file appears here), with a PATH of its own (every tool of
// /usr/bin except curl, wget, npm and pulumi, then node) and a HOME in a temp dir.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const STACK = "mystack";
const SDK_VERSION: string = require(join(ROOT, "package.json")).dependencies["@pulumi/pulumi"];

// Logs one line per call, "<PULUMI_BACKEND_URL or -unset->\t<argv>", and answers as the CLI would.
const FAKE_PULUMI = `#!/bin/sh
printf '%s\\t%s\\n' "\${PULUMI_BACKEND_URL--unset-}" "$*" >>"$FAKE_LOG"
case "$1" in
  version) echo "v${SDK_VERSION}" ;;
  plugin) [ "$2" = ls ] && echo "NAME  KIND  VERSION  SIZE  INSTALLED  LAST USED" ;;
  up) echo "fake pulumi: up $*" ;;
esac
exit 0
`;
const FAKE_NPM = `#!/bin/sh
printf 'npm\\t%s\\n' "$*" >>"$FAKE_LOG"
exit 0
`;
// Serves an installer that, like get.pulumi.com's, puts the binary in <install-root>/bin.
const FAKE_CURL = `#!/bin/sh
cat <<'EOF'
printf 'installer\\t%s\\n' "$*" >>"$FAKE_LOG"
root=""
while [ $# -gt 0 ]; do case "$1" in --install-root) root="$2"; shift ;; esac; shift; done
mkdir -p "$root/bin" && cp "$FAKE_PULUMI_SRC" "$root/bin/pulumi"
EOF
`;

/** One shared dir of symlinks: every tool of /usr/bin but curl, wget, npm, npx and pulumi; node. */
let sharedBin: string | undefined;
function toolsBin(): string {
  if (sharedBin) return sharedBin;
  const bin = mkdtempSync(join(tmpdir(), "up-sh-tools-"));
  for (const dir of ["/usr/bin", "/bin"]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (["curl", "wget", "npm", "npx", "node", "pulumi"].includes(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  symlinkSync(process.execPath, join(bin, "node"));
  return (sharedBin = bin);
}

function script(path: string, text: string) {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

interface World {
  dir: string;
  proj: string;
  home: string;
  log: string;
  env: Record<string, string>;
}

/** A project copy, a HOME, fakes; cli: where a pulumi is found ("path", "home": ~/.pulumi/bin, "none"). */
function world(opts: { cli?: "path" | "home" | "none"; curl?: boolean; pulumiHome?: boolean; env?: Record<string, string> } = {}): World {
  const dir = mkdtempSync(join(tmpdir(), "up-sh-"));
  const proj = join(dir, "proj");
  mkdirSync(join(proj, "scripts", "lib"), { recursive: true });
  for (const f of ["scripts/up.sh", "scripts/lib/pulumi-cli.sh", "package.json", "Pulumi.yaml"]) copyFileSync(join(ROOT, f), join(proj, f));
  copyFileSync(join(ROOT, "Pulumi.dev.yaml"), join(proj, `Pulumi.${STACK}.yaml`));
  symlinkSync(join(ROOT, "node_modules"), join(proj, "node_modules"));
  const home = join(dir, "home");
  mkdirSync(home);
  const fakes = join(dir, "fakes");
  mkdirSync(fakes);
  script(join(fakes, "npm"), FAKE_NPM);
  const pulumiSrc = join(dir, "pulumi-src");
  script(pulumiSrc, FAKE_PULUMI);
  const pulumiHome = opts.pulumiHome ? join(dir, "pulumi home") : undefined;
  const path = [fakes];
  if (opts.cli === "path") {
    mkdirSync(join(dir, "cli"));
    copyFileSync(pulumiSrc, join(dir, "cli", "pulumi"));
    path.push(join(dir, "cli"));
  } else if (opts.cli === "home") {
    const bin = join(pulumiHome ?? join(home, ".pulumi"), "bin");
    mkdirSync(bin, { recursive: true });
    copyFileSync(pulumiSrc, join(bin, "pulumi"));
  }
  if (opts.curl) script(join(fakes, "curl"), FAKE_CURL);
  path.push(toolsBin());
  const log = join(dir, "log");
  writeFileSync(log, "");
  const env: Record<string, string> = {
    PATH: path.join(":"),
    HOME: home,
    PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple",
    LINODE_TOKEN: "not-a-real-token",
    FAKE_LOG: log,
    FAKE_PULUMI_SRC: pulumiSrc,
    ...(pulumiHome ? { PULUMI_HOME: pulumiHome } : {}),
    ...opts.env,
  };
  return { dir, proj, home, log, env };
}

function upSh(w: World, args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync("bash", [join(w.proj, "scripts/up.sh"), ...args], { encoding: "utf8", env: { ...w.env, ...extraEnv }, timeout: 60_000 });
  return { ...r, out: r.stdout + r.stderr, calls: readFileSync(w.log, "utf8").split("\n").filter(Boolean) };
}

/** The same with a terminal on stdin (util-linux `script`), as a person runs it. */
function upShInTerminal(w: World, args: string[]) {
  const cmd = ["bash", join(w.proj, "scripts/up.sh"), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", env: w.env, input: "", timeout: 60_000 });
  return { ...r, out: r.stdout + r.stderr, calls: readFileSync(w.log, "utf8").split("\n").filter(Boolean) };
}
const HAVE_SCRIPT = spawnSync("script", ["--version"]).status === 0;

/** pulumi calls from the log: [backend, argv]. */
function pulumiCalls(calls: string[]): Array<[string, string]> {
  return calls.filter((l) => !/^(npm|installer)\t/.test(l)).map((l) => l.split("\t", 2) as [string, string]);
}

function oneErrorLine(stderr: string): string {
  const lines = stderr.replace(/\n$/, "").split("\n");
  assert.equal(lines.length, 1, `not one line:\n${stderr}`);
  assert.match(lines[0], /^up\.sh: \S/);
  return lines[0];
}

// ---- hints: every command the script prints, and every README heading it names.

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const PACKAGE_SCRIPTS = Object.keys(require(join(ROOT, "package.json")).scripts);
const PULUMI_SUBCOMMANDS = ["up", "preview", "config", "stack", "destroy", "refresh", "version"];

function readmeHeadings(): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of README.split("\n")) {
    if (/^```/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6} +(.+?)\s*$/.exec(line);
    if (m) out.add(m[1].replace(/`/g, ""));
  }
  return out;
}
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");

/** Commands in the output: lines indented by two spaces, and '...' quoted in an "up.sh: " line. */
function hintedCommands(out: string): string[] {
  const cmds: string[] = [];
  for (const line of out.split("\n")) {
    const indented = /^ {2}(\S.*)$/.exec(line);
    if (indented) cmds.push(indented[1].replace(/\s+#.*$/, ""));
    if (line.startsWith("up.sh: ")) for (const m of line.matchAll(/'([^']+)'/g)) cmds.push(m[1]);
  }
  return cmds;
}

/** Each hinted command is one a user can run now: a known program, subcommand, npm script, file, and this stack. */
function assertHintsWork(out: string, stack = STACK) {
  for (const cmd of hintedCommands(out)) {
    const words = cmd.split(/\s+/);
    const known = ["export", "unset", "pulumi", "npm", "cp", "curl", "./scripts/up.sh"];
    assert.ok(known.includes(words[0]), `hint is not a command: ${JSON.stringify(cmd)}`);
    if (words[0] === "pulumi") assert.ok(PULUMI_SUBCOMMANDS.includes(words[1]), `no such pulumi command: ${cmd}`);
    if (words[0] === "npm") {
      assert.ok(words[1] === "run" && PACKAGE_SCRIPTS.includes(words[2]), `no such npm script: ${cmd}`);
    }
    if (words[0].startsWith("./")) assert.ok(existsSync(join(ROOT, words[0])), `no such file: ${cmd}`);
    if (words[0] === "cp") assert.ok(existsSync(join(ROOT, words[1])), `no such file: ${cmd}`);
    for (const m of cmd.matchAll(/--stack[ =](\S+)/g)) assert.equal(m[1], stack, `another stack in a hint: ${cmd}`);
    if (words[0] === "./scripts/up.sh" && !words.includes("--help")) assert.equal(words[words.length - 1], stack, `another stack in a hint: ${cmd}`);
  }
  assertHeadingsExist(out);
}

/** "README ... "Heading"" anywhere in text names a heading README.md has. */
function assertHeadingsExist(text: string, where = "output") {
  const headings = readmeHeadings();
  for (const m of text.matchAll(/README[^"\n]{0,20}"([^"\n]+?)\\?"/g)) {
    assert.ok(headings.has(m[1].replace(/`/g, "")), `${where} names the README heading "${m[1]}", which README.md does not have`);
  }
}

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

test("no CLI anywhere and no installer (no curl): one line, exit 1, how to install and the exact PATH line", () => {
  for (const pulumiHome of [false, true]) {
    const w = world({ cli: "none", pulumiHome });
    const r = upSh(w, ["--yes", STACK]);
    assert.equal(r.status, 1, r.out);
    const line = oneErrorLine(
      r.stderr
        .split("\n")
        .filter((l) => l.startsWith("up.sh: "))
        .join("\n"),
    );
    assert.match(line, /curl is not installed/);
    assert.match(line, /https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\//);
    assert.ok(
      line.includes(`'curl -fsSL https://get.pulumi.com | sh -s -- --version ${SDK_VERSION}${pulumiHome ? ` --install-root "${w.env.PULUMI_HOME}"` : ""}'`),
      line,
    );
    const pathLine = pulumiHome ? `export PATH="${w.env.PULUMI_HOME}/bin:$PATH"` : 'export PATH="$HOME/.pulumi/bin:$PATH"';
    assert.ok(line.includes(`'${pathLine}'`), `no ${pathLine} in: ${line}`);
    assert.ok(line.includes(`'./scripts/up.sh --yes ${STACK}'`), line);
    assert.ok(!pulumiCalls(r.calls).length);
    assertHintsWork(line);
  }
});

test("up.sh installs the CLI: the PATH line is printed then and again at the end, and makes `pulumi` work in a new shell", () => {
  for (const pulumiHome of [false, true]) {
    const w = world({ cli: "none", curl: true, pulumiHome });
    const r = upSh(w, ["--yes", STACK]);
    assert.equal(r.status, 0, r.out);
    const root = w.env.PULUMI_HOME ?? join(w.home, ".pulumi");
    assert.ok(existsSync(join(root, "bin", "pulumi")));
    const installer = r.calls.find((l) => l.startsWith("installer\t"));
    assert.ok(installer && installer.includes(`--install-root ${root}`) && installer.includes("--no-edit-path"), installer);
    const pathLine = pulumiHome ? `export PATH="${root}/bin:$PATH"` : 'export PATH="$HOME/.pulumi/bin:$PATH"';
    const shown = r.out.split("\n").filter((l) => l.includes(pathLine));
    assert.ok(shown.length >= 2, `the PATH line is not printed twice:\n${r.out}`);
    assert.ok(
      r.stdout
        .trimEnd()
        .split("\n")
        .slice(-6)
        .some((l) => l === `  ${pathLine}`),
      `not at the end:\n${r.stdout}`,
    );
    assertHintsWork(r.out);
    // The printed exports in a new login-less shell: `pulumi` and the backend are there.
    const exports = r.stdout
      .split("\n")
      .filter((l) => /^ {2}export /.test(l))
      .join("\n");
    const sh = spawnSync("bash", ["-c", `${exports}\ncommand -v pulumi && echo "$PULUMI_BACKEND_URL"`], {
      encoding: "utf8",
      env: { HOME: w.home, PATH: "/usr/bin:/bin" },
    });
    assert.equal(sh.status, 0, sh.stderr);
    assert.deepEqual(sh.stdout.trim().split("\n"), [join(root, "bin", "pulumi"), `file://${w.proj}/.pulumi-state`]);
  }
});

test("a CLI in ~/.pulumi/bin but not on PATH: used, and the PATH line ends the output; a CLI on PATH: no PATH line", () => {
  const w = world({ cli: "home" });
  const r = upSh(w, ["--yes", STACK]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /^ {2}export PATH="\$HOME\/\.pulumi\/bin:\$PATH"$/m);
  const onPath = upSh(world({ cli: "path" }), ["--yes", STACK]);
  assert.equal(onPath.status, 0, onPath.out);
  assert.doesNotMatch(onPath.out, /export PATH=/);
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
