// What the `npm run status` unit tests share: the captured outputs of the remote
// script (status-samples/, from a real charon with the rendered files:
// status-samples/capture.ts), the region as the stack sees it, the program's
// renewal window, and a sample with facts replaced.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renewalWindowMs } from "../../components/acme/renewal";
import type { StackRegion } from "../../model/status/report";

export const sample = (name: string) => readFileSync(join(__dirname, "status-samples", `${name}.txt`), "utf8");
export const REGION: StackRegion = { region: "us-ord", hostname: "vpn.e2e.example.test", host: "203.0.113.10" };
export const opts = { renewalWindowMs };

/** A status output with the given vici list-sa events and facts replaced/added. */
export function output(lines: Record<string, string | string[]>, base = sample("idle")): string {
  const drop = new Set(Object.keys(lines));
  const kept = base.split("\n").filter((l) => l && !drop.has(/^@@(\S+)/.exec(l)?.[1] ?? "") && l !== "@@end 1");
  const added = Object.entries(lines).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `@@${k} ${x}`));
  return [...kept, ...added, "@@end 1", ""].join("\n");
}
