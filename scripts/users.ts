// npm run users -- rotate <user> --stack <name> [--yes]
// npm run users -- list --stack <name>
// A lost phone, someone who left: `rotate` gives the user a new password and runs
// `pulumi up`, whose apply step ends every live session of that user (the old
// password is refused from then on); nobody else's session is touched. The user's
// new profiles then come from `npm run profiles`.
//  - A user with an entry in vpn:passwords gets a new generated password in that
//    entry, encrypted by `pulumi config set --secret`, which reads it from stdin: it
//    never appears on a command line (visible to every local user in ps) or on the
//    terminal. pulumi v3.248 pkg/cmd/pulumi/config/config.go (configSetCmd.Run): with
//    no value argument and stdin not a terminal, the value is all of stdin, a
//    trailing newline removed (`pulumi config set --help`: "Multi-line values may be
//    set by piping a file to standard in").
//  - A user without one has a generated password (a RandomPassword in the state):
//    vpn:rotations.<user> goes up by one, which changes that resource's keepers
//    (components/vpnUsers.ts), so the update replaces it. `--path` stores an integer
//    as a number ("When setting the config for a path, ... integers are treated as
//    numbers", `pulumi config set --help`); validation accepts the text form too.
// The backend is the project's, chosen as ./scripts/up.sh chooses it
// (scripts/lib/backend.ts). Errors: one line, exit 2 for a usage error, an unknown
// user or something to set first; exit 1 when pulumi failed (scripts/lib/cli.ts).
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_PASSWORD_LENGTH } from "../components/vpnUsers";
import { stackUsers } from "../config/stackUsers";
import { renderUsersTable } from "../model/status/table";
import { projectBackend } from "./lib/backend";
import { CommandSpec, runCli, UsageError } from "./lib/cli";
import { pulumiCapture, pulumiError, PulumiRun, pulumiRun, readStackConfig, secretMapKeys } from "./lib/stackConfig";

const SPEC: CommandSpec = {
  name: "users",
  synopsis: "rotate <user> --stack <name> [--yes] | list --stack <name>",
  about: `rotate: gives <user> a new password and runs pulumi up (which shows the preview
and asks, unless --yes). The update ends every live session of <user>, the old
password is refused, nobody else is disconnected. A user with an entry in
vpn:passwords gets a new generated one there (stored encrypted, never printed);
any other user's generated password is replaced (vpn:rotations.<user> goes up by
one). Afterwards: npm run profiles -- --stack <name> --out <dir> for the user's
new profiles. Needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)
and the Linode token as for pulumi up; the backend as ./scripts/up.sh chooses it.
list: the users of the stack config with expiry, device limit, quota and state.`,
  operands: [
    { name: "action", text: "rotate or list" },
    { name: "user", text: "the user (rotate)", optional: true },
  ],
  options: [
    { flag: "--stack", value: "<name>", text: "the Pulumi stack", required: true },
    { flag: "--yes", text: "rotate: update without asking (pipelines; needed when not run in a terminal)" },
  ],
  exitOk: "rotated and deployed (rotate), listed (list)",
  exitFailed: "pulumi failed or the update was declined (the rotation stays in the stack config for the next pulumi up)",
};

// What RandomPassword { special: false } draws from (components/vpnUsers.ts).
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const ALPHABET = LOWER + UPPER + DIGITS;

/**
 * A password like the generated ones: GENERATED_PASSWORD_LENGTH symbols of the 62,
 * at least 2 lower, 2 upper, 2 digits (their minLower/minUpper/minNumeric). Drawn
 * uniformly with crypto.randomInt and redrawn until the minimums hold, so every
 * acceptable password is equally likely (about 166 bits).
 */
export function generatePassword(): string {
  for (;;) {
    let pw = "";
    for (let i = 0; i < GENERATED_PASSWORD_LENGTH; i++) pw += ALPHABET[randomInt(ALPHABET.length)];
    const count = (set: string) => [...pw].filter((c) => set.includes(c)).length;
    if (count(LOWER) >= 2 && count(UPPER) >= 2 && count(DIGITS) >= 2) return pw;
  }
}

/** `vpn:passwords["alice.smith"]`: the bracket form keeps a name with "." one path element. */
const pathOf = (key: string, user: string) => `${key}[${JSON.stringify(user)}]`;

interface Context {
  stack: string;
  run: PulumiRun;
  backend: string;
}

function context(opts: Record<string, string | true>): Context {
  const stack = opts.stack as string;
  if (!/^[A-Za-z0-9_./-]+$/.test(stack)) throw new UsageError(`"${stack}" is not a stack name (letters, digits, -, _, . and /)`);
  // Like up.sh: pulumi runs in the project directory (npm run starts there).
  const dir = process.cwd();
  if (!existsSync(join(dir, "Pulumi.yaml"))) throw new UsageError(`no Pulumi.yaml in ${dir}: run npm run users from the project directory`);
  const backend = projectBackend(dir);
  return { stack, backend, run: pulumiRun({ ...process.env, PULUMI_BACKEND_URL: backend }, dir) };
}

function list(ctx: Context): number {
  const cfg = readStackConfig(ctx.run, ctx.stack);
  const now = new Date();
  const su = stackUsers(cfg.values, now);
  const keys = cfg.secretKeys.includes("vpn:passwords") ? secretMapKeys(ctx.run, ctx.stack, "vpn:passwords") : [];
  const password = (user: string) =>
    // One encrypted value: which users it holds is not visible without decrypting it.
    keys === undefined ? "unknown" : keys.includes(user) ? "vpn:passwords" : `generated${su.rotations[user] ? `, rotated ${su.rotations[user]}x` : ""}`;
  process.stdout.write(renderUsersTable(su.users, now, { password }));
  for (const p of su.problems) process.stdout.write(`! ${p}\n`);
  return 0;
}

/** The password map when it is stored encrypted as one value (pulumi config set --secret vpn:passwords '{...}'). */
function wholePasswordMap(ctx: Context): Record<string, unknown> {
  const r = pulumiCapture(ctx.run, ["config", "get", "vpn:passwords", "--stack", ctx.stack], ctx.stack, "pulumi config get");
  if (r.status !== 0) throw new Error(`pulumi config get vpn:passwords failed for stack ${ctx.stack}: ${pulumiError(r.stderr) || `exit ${r.status}`}`);
  try {
    const v = JSON.parse(r.stdout) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Reported below, without the text (it is the passwords).
  }
  throw new Error(`vpn:passwords of stack ${ctx.stack} is not a map of user name -> password`);
}

function configSet(ctx: Context, args: string[], input?: string): void {
  const r = pulumiCapture(ctx.run, ["config", "set", ...args, "--stack", ctx.stack], ctx.stack, "pulumi config set", input);
  if (r.status !== 0)
    throw new Error(
      `pulumi config set ${args.find((a) => a.startsWith("vpn:"))} failed for stack ${ctx.stack}: ${pulumiError(r.stderr) || `exit ${r.status}`}`,
    );
}

function rotate(ctx: Context, user: string, yes: boolean): number {
  // Before anything changes: what pulumi up needs, and a way for it to ask.
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new UsageError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), the passphrase of the stack's secrets, as for pulumi up");
  }
  if (!yes && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError(
      `not a terminal, so pulumi up cannot show the preview and ask: run this in a terminal, or update without asking with 'npm run users -- rotate ${user} --stack ${ctx.stack} --yes'`,
    );
  }
  const cfg = readStackConfig(ctx.run, ctx.stack);
  const su = stackUsers(cfg.values, new Date());
  const names = su.specs.map((u) => u.name);
  if (!names.includes(user)) throw new UsageError(`user ${user} is not in vpn:users of stack ${ctx.stack} (users: ${names.join(", ") || "none"})`);

  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`Stack ${ctx.stack}, backend ${ctx.backend}`);
  const keys = cfg.secretKeys.includes("vpn:passwords") ? secretMapKeys(ctx.run, ctx.stack, "vpn:passwords") : [];
  if (keys === undefined) {
    // One encrypted value: its keys are only known decrypted. Rewritten whole, in the same form.
    const map = wholePasswordMap(ctx);
    if (user in map) {
      say(`${user}: a new password in vpn:passwords (stored encrypted)`);
      configSet(ctx, ["--secret", "vpn:passwords"], JSON.stringify({ ...map, [user]: generatePassword() }));
    } else bumpRotation(ctx, user, su.rotations[user] ?? 0, say);
  } else if (keys.includes(user)) {
    say(`${user}: a new password in vpn:passwords (stored encrypted)`);
    configSet(ctx, ["--secret", "--path", pathOf("vpn:passwords", user)], generatePassword());
  } else bumpRotation(ctx, user, su.rotations[user] ?? 0, say);

  const up = spawnSync(ctx.run.pulumi, ["up", ...(yes ? ["--yes"] : []), "--stack", ctx.stack], { cwd: ctx.run.cwd, env: ctx.run.env, stdio: "inherit" });
  if (up.error) throw new Error(`cannot run ${ctx.run.pulumi}: ${up.error.message}`);
  if (up.status !== 0) {
    throw new Error(
      `pulumi up did not complete for stack ${ctx.stack} (declined, or failed: its output is above); the new password is in the stack config, so ${user}'s old one still works until an update completes: 'PULUMI_BACKEND_URL=${ctx.backend} pulumi up --stack ${ctx.stack}'`,
    );
  }
  process.stdout.write(
    [
      `${user} has a new password on stack ${ctx.stack}: the update ended ${user}'s sessions and the old password is refused.`,
      `${user}'s new profiles (hand them to ${user} only):`,
      `  npm run profiles -- --stack ${ctx.stack} --out profiles/`,
      "",
    ].join("\n"),
  );
  return 0;
}

function bumpRotation(ctx: Context, user: string, current: number, say: (l: string) => void): void {
  const next = current + 1;
  say(`${user}: a new generated password (vpn:rotations.${user} ${current} -> ${next})`);
  configSet(ctx, ["--path", pathOf("vpn:rotations", user), String(next)]);
}

function main(opts: Record<string, string | true>): number {
  const action = opts.action as string;
  const user = typeof opts.user === "string" ? opts.user : undefined;
  if (action === "rotate") {
    if (!user) throw new UsageError("rotate needs the user: npm run users -- rotate <user> --stack <name>");
    return rotate(context(opts), user, opts.yes === true);
  }
  if (action === "list") {
    if (user) throw new UsageError(`unexpected argument ${user} (list takes no user)`);
    if (opts.yes) throw new UsageError("--yes is for rotate");
    return list(context(opts));
  }
  throw new UsageError(`unknown action ${action}: rotate or list`);
}

if (require.main === module) runCli(SPEC, main);
