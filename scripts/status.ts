// npm run status -- --stack <name> [--region <id>] [--json]
// Who is online and is each server healthy: per region, over SSH with the stack's
// key and the pinned host key (./status/ssh.ts), one read-only script
// (model/status/script.ts) whose output is parsed and set next to the stack's
// view (model/status/report.ts). A table by default, --json for machines
// (README "Who is online: npm run status"). Exit 0: every region answered and
// charon runs; 1: some region did not (or the CLI failed); 2: a usage error
// (scripts/lib/cli.ts, shared with render and profiles).
// Nothing secret is printed: the script reads no key or password file.
import { readFileSync } from "node:fs";
import { renewalWindowMs } from "../components/acme/renewal";
import { parseStatusOutput } from "../model/status/parse";
import { regionHealthy, regionStatus, RegionStatus, STATUS_SCHEMA, StatusDocument, unreachableRegion } from "../model/status/report";
import { renderStatusScript } from "../model/status/script";
import { renderStatusTable } from "../model/status/table";
import { CommandSpec, runCli, usageLine } from "./lib/cli";
import { readStackOutputs, StackView, stackView, UsageError } from "./status/stack";
import { RemoteOptions, runRemote } from "./status/ssh";

export { UsageError } from "./status/stack";
export type { ServerAccess } from "./status/ssh";

const SPEC: CommandSpec = {
  name: "status",
  synopsis: "--stack <name> [--region <id>] [--json]",
  about: `Connects to each region's server over SSH (the stack's key, the pinned host key;
a server presenting another key is refused) and reports: reachable or not,
uptime, strongSwan version and charon, pool use, the served certificate against
the stack's, connected users with traffic, pending updates and reboot.`,
  options: [
    { flag: "--stack", value: "<name>", text: "the Pulumi stack (reads its outputs servers, regions, certificateNotAfter)" },
    { flag: "--region", value: "<id>", text: "only this region" },
    { flag: "--json", text: 'the JSON document (schema: README, "Who is online: npm run status")' },
    { flag: "--connect-timeout", value: "<s>", text: "SSH connect timeout in seconds (default 10)" },
    // Test hook: the stack outputs as a JSON file instead of the Pulumi CLI.
    { flag: "--outputs-json", value: "<file>", text: "", hidden: true },
  ],
  exitOk: "every region answered and charon runs",
  exitFailed: "a region is unreachable, refused its host key or charon does not answer (all are still reported), or the Pulumi CLI is missing or failed",
};

export interface StatusOptions extends RemoteOptions {
  /** Stack name for the document (null when fed directly). */
  stack?: string | null;
  /** Only this region. */
  region?: string;
  /** Remote script override (tests). */
  script?: string;
}

/** Status of one region: SSH, run, parse, report. Every failure becomes reachable: false with the reason. */
async function regionOf(region: string, view: StackView, opts: StatusOptions): Promise<RegionStatus> {
  const unpinned = view.unpinned?.[region];
  if (unpinned) return unreachableRegion({ region, host: unpinned.host, ...view.regions[region], hostname: view.regions[region]?.hostname ?? unpinned.hostname }, unpinned.reason);
  const access = view.servers[region];
  const stackRegion = { region, host: access.host, ...view.regions[region], hostname: view.regions[region]?.hostname ?? access.hostname };
  const r = await runRemote(access, opts.script ?? renderStatusScript(), opts);
  if (!r.ok) return unreachableRegion(stackRegion, r.reason);
  try {
    return regionStatus(stackRegion, parseStatusOutput(r.stdout), { renewalWindowMs: (nb, na) => renewalWindowMs(nb, na) });
  } catch (err) {
    const tail = r.stderr.trim().split("\n").pop();
    return unreachableRegion(stackRegion, `unreadable status output from ${access.host}: ${(err as Error).message}${tail ? ` (stderr: ${tail.slice(0, 200)})` : ""}`);
  }
}

/**
 * The status document for the given `servers` (and regions) view: what the CLI
 * prints. Exported for the engine tests (after `pulumi up`) and the hosts tier,
 * which feed stack outputs without the CLI.
 */
export async function statusOf(view: StackView, opts: StatusOptions = {}): Promise<StatusDocument> {
  let regions = [...Object.keys(view.servers), ...Object.keys(view.unpinned ?? {})].sort();
  if (opts.region !== undefined) {
    if (!regions.includes(opts.region)) throw new UsageError(`region ${opts.region} is not in the stack (regions: ${regions.join(", ") || "none"})`);
    regions = [opts.region];
  }
  return { schema: STATUS_SCHEMA, stack: opts.stack ?? null, regions: await Promise.all(regions.map((r) => regionOf(r, view, opts))) };
}

/**
 * The same from plain stack outputs ({ servers, regions, certificateNotAfter }, values
 * unwrapped, e.g. from the Automation API's `stack.outputs()` mapped to `.value`).
 */
export function statusOfOutputs(outputs: Record<string, unknown>, opts: StatusOptions = {}): Promise<StatusDocument> {
  return statusOf(stackView(outputs, opts.stack ? `stack ${opts.stack}` : "the stack outputs"), opts);
}

/** Whether every region in the document is healthy (the exit status). */
export function allHealthy(doc: StatusDocument): boolean {
  return doc.regions.every(regionHealthy);
}

interface Args {
  stack?: string;
  region?: string;
  json: boolean;
  outputsFile?: string;
  connectTimeoutSeconds?: number;
}

function toArgs(opts: Record<string, string | true>): Args {
  const a: Args = { json: opts.json === true };
  if (typeof opts.stack === "string") a.stack = opts.stack;
  if (typeof opts.region === "string") a.region = opts.region;
  if (typeof opts["outputs-json"] === "string") a.outputsFile = opts["outputs-json"];
  const timeout = opts["connect-timeout"];
  if (typeof timeout === "string") {
    if (!/^[1-9]\d{0,2}$/.test(timeout)) throw new UsageError("--connect-timeout must be a whole number of seconds (1-999)");
    a.connectTimeoutSeconds = Number(timeout);
  }
  if (!a.stack && !a.outputsFile) throw new UsageError(`--stack is required (${usageLine(SPEC)})`);
  return a;
}

function readOutputsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${file} is not JSON`);
  }
}

async function main(opts: Record<string, string | true>): Promise<number> {
  const args = toArgs(opts);
  const outputs = args.outputsFile ? readOutputsFile(args.outputsFile) : readStackOutputs(args.stack!);
  const view = stackView(outputs, args.outputsFile ?? `stack ${args.stack}`);
  const doc = await statusOf(view, { stack: args.stack ?? null, region: args.region, connectTimeoutSeconds: args.connectTimeoutSeconds });
  process.stdout.write(args.json ? `${JSON.stringify(doc, null, 2)}\n` : renderStatusTable(doc));
  return allHealthy(doc) ? 0 : 1;
}

// Help, errors and exit statuses: the shared scripts/lib/cli.ts.
if (require.main === module) runCli(SPEC, main);
