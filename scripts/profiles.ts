// npm run profiles -- --stack <name> --out <dir>
// Writes every user's client profiles from the stack output `profiles` (a secret, read
// with `pulumi stack output --json --show-secrets`) as <dir>/<region>/profiles/<user>/<file>,
// files 0600 and directories 0700: they hold passwords.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { profileTree, Profiles } from "../model/profiles";
import { findPulumi } from "./lib/findPulumi";

const USAGE = "usage: npm run profiles -- --stack <name> --out <dir>";

/** Writes a profile tree (relative path -> content) under `dir` with private permissions. Also used by `npm run render`. */
export function writeProfileTree(dir: string, tree: Record<string, string | Buffer>): string[] {
  const written: string[] = [];
  for (const [rel, content] of Object.entries(tree)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    chmodSync(dirname(file), 0o700);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600); // writeFileSync's mode applies only to new files
    written.push(file);
  }
  return written;
}

/** A user error: printed as one line, exit 2. */
export class UsageError extends Error {}

function parseArgs(argv: string[]): { stack: string; out: string } | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(stack|out)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new UsageError(`unknown argument ${argv[i]} (${USAGE})`);
    const value = m[2] ?? argv[++i];
    if (!value) throw new UsageError(`--${m[1]} needs a value (${USAGE})`);
    opts[m[1]] = value;
  }
  if (!opts.stack || !opts.out) throw new UsageError(USAGE);
  return { stack: opts.stack, out: opts.out };
}

function isProfiles(v: unknown): v is Profiles {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  return isObj(v) && Object.values(v).every((byRegion) => isObj(byRegion) && Object.values(byRegion).every((set) => isObj(set) && typeof set.apple === "string"));
}

/** The installed Pulumi CLI, or a user error saying how to get one. */
function pulumiOrExplain(): string {
  const found = findPulumi();
  if (!found) throw new UsageError("the Pulumi CLI is not installed (no pulumi on PATH or in ~/.pulumi/bin): see the README, \"Deploy\"");
  return found;
}

/** All stack outputs, secrets shown. stderr passes through (login or stack errors); stdout is never echoed. */
export function stackOutputs(stack: string): Record<string, unknown> {
  const pulumi = pulumiOrExplain();
  let text: string;
  try {
    text = execFileSync(pulumi, ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 256 * 1024 * 1024 });
  } catch (err) {
    const status = (err as { status?: number }).status;
    throw new UsageError(`pulumi stack output failed for stack ${stack}${status !== undefined ? ` (exit ${status}; its message is above)` : `: ${(err as Error).message.split("\n")[0]}`}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args === "help") {
    console.log(`${USAGE}\nWrites every user's client profiles from the stack output \`profiles\` under <dir>/<region>/profiles/<user>/ (files 0600).`);
    return;
  }
  const { stack, out } = args;
  const outputs = stackOutputs(stack);
  if (!isProfiles(outputs.profiles)) throw new UsageError(`stack ${stack} has no \`profiles\` output of the form { user: { region: { apple, ... } } }; run \`pulumi up\` first`);
  const files = writeProfileTree(resolve(out), profileTree(outputs.profiles));
  console.log(`wrote ${files.length} profile files for ${Object.keys(outputs.profiles).length} user(s) under ${resolve(out)}`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`profiles: ${(err as Error).message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
