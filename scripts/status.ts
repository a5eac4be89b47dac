// npm run status -- --stack <name> [--region <id>] [--usage] [--json]
// Who is online and is each server healthy: per region, over SSH with the stack's
// key and the pinned host key (./status/ssh.ts), one read-only script
// (model/status/script.ts) whose output is parsed and set next to the stack's
// view (model/status/report.ts; the JSON shape: model/status/document.ts). A table
// by default, --json for machines (README "Who is online: npm run status").
// Exit 0: every region answered and charon runs; 1: some region did not (or the
// CLI failed); 2: a usage error (scripts/lib/cli.ts, shared with render and profiles).
// Nothing secret is printed: the script reads no key or password file.
// The users' expiry, state, device limit and quota come from the stack config
// (plain values only: scripts/lib/stackConfig.ts); --usage also asks each server
// for the usage it keeps per user and UTC day (model/status/usage.ts, docs/usage.md).
import { renewalWindowMs } from "../components/acme/renewal";
import { parseStatusOutput } from "../model/status/parse";
import { regionHealthy, regionStatus, unreachableRegion } from "../model/status/report";
import { RegionStatus, STATUS_SCHEMA, StatusDocument } from "../model/status/document";
import { renderStatusScript } from "../model/status/script";
import { renderStatusTable } from "../model/status/table";
import { expiryWarnings } from "../model/expiryWarnings";
import { stackUsers } from "../config/stackUsers";
import type { StackUsers } from "../model/status/stackUsers";
import { regionUsage } from "../model/status/usage";
import { CommandSpec, runCli, usageLine } from "./lib/cli";
import { pulumiRun, readStackConfig } from "./lib/stackConfig";
import { readOutputsFile, readStackOutputs, StackView, stackView, UsageError } from "./status/stack";
import { RemoteOptions, runRemote } from "./status/ssh";

export { UsageError } from "./status/stack";
export type { ServerAccess } from "./status/ssh";

const SPEC: CommandSpec = {
  name: "status",
  synopsis: "--stack <name> [--region <id>] [--usage] [--json]",
  about: `Connects to each region's server over SSH (the stack's key, the pinned host key;
a server presenting another key is refused) and reports: reachable or not,
uptime, strongSwan version and charon, pool use, the served certificate against
the stack's, connected users with traffic, pending updates and reboot; and, from
the stack config, each user's expiry, state, device limit and monthly quota.
--usage adds the usage each server keeps per user (today and this month, UTC):
bytes in and out, connected time, quota used (docs/usage.md).`,
  options: [
    { flag: "--stack", value: "<name>", text: "the Pulumi stack (reads its outputs servers, regions, certificateNotAfter)" },
    { flag: "--region", value: "<id>", text: "only this region" },
    { flag: "--usage", text: "also the usage per user kept on each server (docs/usage.md)" },
    { flag: "--json", text: 'the JSON document (schema: docs/operations.md, "Who is online: npm run status"; usage and users: docs/usage.md)' },
    { flag: "--connect-timeout", value: "<s>", text: "SSH connect timeout in seconds (default 10)" },
    // Test hook: the stack outputs as a JSON file instead of the Pulumi CLI.
    { flag: "--outputs-json", value: "<file>", text: "", hidden: true },
    // Test hook: `pulumi config --json` of the stack as a file instead of the Pulumi CLI.
    { flag: "--config-json", value: "<file>", text: "", hidden: true },
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
  /** Ask each server for its usage (--usage). */
  usage?: boolean;
  /** The users from the stack config; absent: not read (the document has no `users`). */
  stackUsers?: StackUsers;
  /** Why the stack config could not be read (a document warning). */
  stackUsersError?: string;
  /** The clock for expiry (default now). */
  now?: Date;
}

/** Status of one region: SSH, run, parse, report. Every failure becomes reachable: false with the reason. */
async function regionOf(region: string, view: StackView, opts: StatusOptions): Promise<RegionStatus> {
  const unpinned = view.unpinned?.[region];
  if (unpinned)
    return withUsage(
      unreachableRegion(
        { region, host: unpinned.host, ...view.regions[region], hostname: view.regions[region]?.hostname ?? unpinned.hostname },
        unpinned.reason,
      ),
      undefined,
      opts,
    );
  const access = view.servers[region];
  const stackRegion = { region, host: access.host, ...view.regions[region], hostname: view.regions[region]?.hostname ?? access.hostname };
  const r = await runRemote(access, opts.script ?? renderStatusScript({ usage: opts.usage }), opts);
  if (!r.ok) return withUsage(unreachableRegion(stackRegion, r.reason), undefined, opts);
  try {
    const facts = parseStatusOutput(r.stdout);
    return withUsage(regionStatus(stackRegion, facts, { renewalWindowMs: (nb, na) => renewalWindowMs(nb, na) }), facts, opts);
  } catch (err) {
    const tail = r.stderr.trim().split("\n").pop();
    return withUsage(
      unreachableRegion(
        stackRegion,
        `unreadable status output from ${access.host}: ${(err as Error).message}${tail ? ` (stderr: ${tail.slice(0, 200)})` : ""}`,
      ),
      undefined,
      opts,
    );
  }
}

/** With --usage: the region's `usage` (null and a warning when the server keeps none or it failed). */
export function withUsage(s: RegionStatus, facts: ReturnType<typeof parseStatusOutput> | undefined, opts: StatusOptions): RegionStatus {
  if (!opts.usage) return s;
  const u = facts?.usage;
  if (!s.reachable || !facts) return { ...s, usage: null };
  if (u?.state === "ok") {
    const quotas = Object.fromEntries((opts.stackUsers?.users ?? []).map((x) => [x.user, x.monthlyQuotaGB]));
    return { ...s, usage: regionUsage(u, facts.now, quotas) };
  }
  const why =
    u?.state === "failed"
      ? `could not read the usage kept on this server (${u.reason})`
      : "this server keeps no usage: the stack uses no expires, maxDevices, monthlyQuotaGB, disabled, vpn:maxDevicesPerUser or vpn:accounting";
  return { ...s, usage: null, warnings: [...s.warnings, why] };
}

/** The document's `users` and `warnings`, when the stack config was read and uses the lifecycle (or --usage). */
function usersPart(opts: StatusOptions): Pick<StatusDocument, "users" | "warnings"> {
  if (opts.stackUsersError !== undefined) return { warnings: [`users: could not read the stack config (${opts.stackUsersError})`] };
  const su = opts.stackUsers;
  if (!su || !(su.lifecycle || opts.usage)) return {};
  return { users: su.users, warnings: [...expiryWarnings(su.specs, opts.now ?? new Date()), ...su.problems.map((p) => `stack config: ${p}`)] };
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
  return { schema: STATUS_SCHEMA, stack: opts.stack ?? null, regions: await Promise.all(regions.map((r) => regionOf(r, view, opts))), ...usersPart(opts) };
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
  usage: boolean;
  outputsFile?: string;
  configFile?: string;
  connectTimeoutSeconds?: number;
}

function toArgs(opts: Record<string, string | true>): Args {
  const a: Args = { json: opts.json === true, usage: opts.usage === true };
  if (typeof opts.stack === "string") a.stack = opts.stack;
  if (typeof opts.region === "string") a.region = opts.region;
  if (typeof opts["outputs-json"] === "string") a.outputsFile = opts["outputs-json"];
  if (typeof opts["config-json"] === "string") a.configFile = opts["config-json"];
  const timeout = opts["connect-timeout"];
  if (typeof timeout === "string") {
    if (!/^[1-9]\d{0,2}$/.test(timeout)) throw new UsageError("--connect-timeout must be a whole number of seconds (1-999)");
    a.connectTimeoutSeconds = Number(timeout);
  }
  if (!a.stack && !a.outputsFile) throw new UsageError(`--stack is required (${usageLine(SPEC)})`);
  return a;
}

/**
 * The users from the stack config: `pulumi config --json` (or the test hook's file of
 * it). A failure does not stop status (it is what one runs when something is wrong):
 * it becomes a warning.
 */
function usersOfConfig(args: Args, now: Date): Pick<StatusOptions, "stackUsers" | "stackUsersError"> {
  if (!args.configFile && (args.outputsFile || !args.stack)) return {};
  try {
    if (args.configFile) {
      const doc = readOutputsFile(args.configFile);
      const values = Object.fromEntries(
        Object.entries(doc).map(([k, e]) => [k, (e as { objectValue?: unknown; value?: unknown }).objectValue ?? (e as { value?: unknown }).value]),
      );
      return { stackUsers: stackUsers(values, now) };
    }
    return { stackUsers: stackUsers(readStackConfig(pulumiRun(), args.stack!).values, now) };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    return { stackUsersError: (err as Error).message };
  }
}

async function main(opts: Record<string, string | true>): Promise<number> {
  const args = toArgs(opts);
  const outputs = args.outputsFile ? readOutputsFile(args.outputsFile) : readStackOutputs(args.stack!);
  const view = stackView(outputs, args.outputsFile ?? `stack ${args.stack}`);
  const now = new Date();
  const doc = await statusOf(view, {
    stack: args.stack ?? null,
    region: args.region,
    connectTimeoutSeconds: args.connectTimeoutSeconds,
    usage: args.usage,
    now,
    ...usersOfConfig(args, now),
  });
  process.stdout.write(args.json ? `${JSON.stringify(doc, null, 2)}\n` : renderStatusTable(doc, now));
  return allHealthy(doc) ? 0 : 1;
}

// Help, errors and exit statuses: the shared scripts/lib/cli.ts.
if (require.main === module) runCli(SPEC, main);
