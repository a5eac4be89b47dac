// npm run profiles -- --stack <name> --out <dir>
// Writes every user's client profiles from the stack output `profiles` (a secret, read
// with `pulumi stack output --json --show-secrets`) as <dir>/<region>/profiles/<user>/<file>,
// files 0600 and directories 0700: they hold passwords.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { profileTree, Profiles } from "../model/profiles";
import { CommandSpec, runCli, UsageError } from "./lib/cli";
import { pulumiStackOutput } from "./lib/stackOutput";

export { UsageError };

const SPEC: CommandSpec = {
  name: "profiles",
  synopsis: "--stack <name> --out <dir>",
  about: "Writes every user's client profiles from the stack output `profiles` under <dir>/<region>/profiles/<user>/ (files 0600, folders 0700).",
  options: [
    { flag: "--stack", value: "<name>", text: "the Pulumi stack (reads its secret output profiles)", required: true },
    { flag: "--out", value: "<dir>", text: "where to write", required: true },
  ],
  exitOk: "written",
  exitFailed: "the Pulumi CLI is missing or failed, the stack has no profiles output, or writing failed",
};

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

export function isProfiles(v: unknown): v is Profiles {
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
  return (
    isObj(v) && Object.values(v).every((byRegion) => isObj(byRegion) && Object.values(byRegion).every((set) => isObj(set) && typeof set.apple === "string"))
  );
}

/** All stack outputs, secrets shown (stdout is never echoed). */
export function stackOutputs(stack: string): Record<string, unknown> {
  const text = pulumiStackOutput(stack, ["--show-secrets"]);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`pulumi stack output for stack ${stack} is not JSON`);
  }
}

function main(opts: Record<string, string | true>): void {
  const stack = opts.stack as string;
  const out = resolve(opts.out as string);
  const outputs = stackOutputs(stack);
  if (!isProfiles(outputs.profiles))
    throw new Error(`stack ${stack} has no \`profiles\` output of the form { user: { region: { apple, ... } } }; run \`pulumi up\` first`);
  const files = writeProfileTree(out, profileTree(outputs.profiles));
  console.log(`wrote ${files.length} profile files for ${Object.keys(outputs.profiles).length} user(s) under ${out}`);
}

// Help, errors and exit statuses: the shared scripts/lib/cli.ts.
if (require.main === module) runCli(SPEC, main);
