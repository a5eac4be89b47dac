// Where an installed Pulumi CLI lives: on PATH, else in $PULUMI_HOME/bin, else in
// ~/.pulumi/bin (where the official installer puts it), and the one message for when
// there is none. Shared by the scripts that read stack outputs and by the engine
// tier; scripts/lib/pulumi-cli.sh does the same for the shell scripts.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const NO_PULUMI_CLI =
  'the Pulumi CLI is not installed (no pulumi on PATH, in $PULUMI_HOME/bin or ~/.pulumi/bin): install it as the README\'s "The two commands" says';

export function findPulumi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(":").filter(Boolean)) if (existsSync(join(dir, "pulumi"))) return join(dir, "pulumi");
  for (const home of [env.PULUMI_HOME, join(homedir(), ".pulumi")]) if (home && existsSync(join(home, "bin", "pulumi"))) return join(home, "bin", "pulumi");
  return undefined;
}
