// The project's Pulumi backend, chosen exactly as scripts/up.sh chooses it (its
// step 2): PULUMI_BACKEND_URL when set (refused when it differs from the backend an
// earlier up.sh recorded in .pulumi-state/backend-url, so a forgotten or wrong
// variable cannot act on a second, empty copy of the stack), else the recorded one,
// else this checkout's file backend ./.pulumi-state. Passed to each pulumi command
// in its environment, never made the machine's default with `pulumi login`.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./cli";

export const BACKEND_RECORD = ".pulumi-state/backend-url";

export function projectBackend(projectDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const record = join(projectDir, BACKEND_RECORD);
  const recorded = existsSync(record) ? readFileSync(record, "utf8").replace(/\n+$/, "") : "";
  const given = env.PULUMI_BACKEND_URL ?? "";
  if (given !== "") {
    if (recorded !== "" && given !== recorded) {
      throw new UsageError(
        `PULUMI_BACKEND_URL is ${given} but the stacks of this project are in ${recorded} (recorded in ${BACKEND_RECORD} by ./scripts/up.sh): 'unset PULUMI_BACKEND_URL' to use that, or move the stacks first and delete ${BACKEND_RECORD}`,
      );
    }
    return given;
  }
  return recorded || `file://${join(projectDir, ".pulumi-state")}`;
}
