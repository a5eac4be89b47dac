// The world scripts/up.sh runs in for up-sh*.test.ts: a copy of the few files up.sh
// reads (never the repository: no .pulumi-state or stack file appears here), a fake
// `pulumi`, `npm` and (optionally) `curl` serving an installer, a PATH of its own
// (every tool of /usr/bin except curl, wget, npm and pulumi, then node) and a HOME in
// a temp dir; and the checks that every hint it prints is a command that works and
// every README heading it names exists.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
export const STACK = "mystack";
export const SDK_VERSION: string = require(join(ROOT, "package.json")).dependencies["@pulumi/pulumi"];

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

export interface World {
  dir: string;
  proj: string;
  home: string;
  log: string;
  env: Record<string, string>;
}

/** A project copy, a HOME, fakes; cli: where a pulumi is found ("path", "home": ~/.pulumi/bin, "none"). */
export function world(opts: { cli?: "path" | "home" | "none"; curl?: boolean; pulumiHome?: boolean; env?: Record<string, string> } = {}): World {
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

export function upSh(w: World, args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync("bash", [join(w.proj, "scripts/up.sh"), ...args], { encoding: "utf8", env: { ...w.env, ...extraEnv }, timeout: 60_000 });
  return { ...r, out: r.stdout + r.stderr, calls: readFileSync(w.log, "utf8").split("\n").filter(Boolean) };
}

/** The same with a terminal on stdin (util-linux `script`), as a person runs it. */
export function upShInTerminal(w: World, args: string[]) {
  const cmd = ["bash", join(w.proj, "scripts/up.sh"), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", env: w.env, input: "", timeout: 60_000 });
  return { ...r, out: r.stdout + r.stderr, calls: readFileSync(w.log, "utf8").split("\n").filter(Boolean) };
}
export const HAVE_SCRIPT = spawnSync("script", ["--version"]).status === 0;

/** pulumi calls from the log: [backend, argv]. */
export function pulumiCalls(calls: string[]): Array<[string, string]> {
  return calls.filter((l) => !/^(npm|installer)\t/.test(l)).map((l) => l.split("\t", 2) as [string, string]);
}

export function oneErrorLine(stderr: string): string {
  const lines = stderr.replace(/\n$/, "").split("\n");
  assert.equal(lines.length, 1, `not one line:\n${stderr}`);
  assert.match(lines[0], /^up\.sh: \S/);
  return lines[0];
}

// ---- hints: every command the script prints, and every README heading it names.

export const README = readFileSync(join(ROOT, "README.md"), "utf8");
const PACKAGE_SCRIPTS = Object.keys(require(join(ROOT, "package.json")).scripts);
const PULUMI_SUBCOMMANDS = ["up", "preview", "config", "stack", "destroy", "refresh", "version"];

export function readmeHeadings(): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of README.split("\n")) {
    if (/^```/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6} +(.+?)\s*$/.exec(line);
    if (m) out.add(m[1].replace(/`/g, ""));
  }
  return out;
}
export const anchor = (heading: string) =>
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
export function assertHintsWork(out: string, stack = STACK) {
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
export function assertHeadingsExist(text: string, where = "output") {
  const headings = readmeHeadings();
  for (const m of text.matchAll(/README[^"\n]{0,20}"([^"\n]+?)\\?"/g)) {
    assert.ok(headings.has(m[1].replace(/`/g, "")), `${where} names the README heading "${m[1]}", which README.md does not have`);
  }
}
