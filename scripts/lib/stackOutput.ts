// `pulumi stack output` for the commands that read a deployed stack (profiles, status):
// one way to find the CLI and one way to fail. stdout may hold secrets and is never
// echoed; pulumi's stderr is reduced to one line for the error message (scripts/lib/cli.ts
// prints it with the command's prefix).
import { spawnSync } from "node:child_process";
import { UsageError } from "./cli";
import { findPulumi, NO_PULUMI_CLI } from "./findPulumi";

/**
 * `pulumi stack output [args] --json --stack <stack>`'s stdout. A stack that does not
 * exist is a UsageError (exit 2); a missing CLI or any other failure an Error (exit 1).
 */
export function pulumiStackOutput(stack: string, args: string[]): string {
  const pulumi = findPulumi();
  if (!pulumi) throw new Error(NO_PULUMI_CLI);
  const r = spawnSync(pulumi, ["stack", "output", ...args, "--json", "--stack", stack], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.error) throw new Error(`cannot run ${pulumi}: ${r.error.message}`);
  if (r.status !== 0) {
    const lines = (r.stderr ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const msg = (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? "").replace(/^error:\s*/i, "");
    if (/no stack named|stack .* not found/i.test(msg)) throw new UsageError(`stack ${stack} does not exist (pulumi: ${msg})`);
    if (/does not have output property/i.test(msg))
      throw new Error(`stack ${stack} has no \`${args[0]}\` output: run \`pulumi up\` with this version of the program first`);
    throw new Error(`pulumi stack output failed for stack ${stack}: ${msg || `exit ${r.status}`}`);
  }
  return r.stdout;
}
