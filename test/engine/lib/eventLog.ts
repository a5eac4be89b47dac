// Where a CLI command's time went, read from the engine's own event log
// (`pulumi up --event-log FILE`: one JSON engine event a line, apitype.EngineEvent,
// whose `timestamp` is Unix seconds). Per resource: from its resourcePreEvent to its
// resOutputsEvent (or failure), so one-second resolution; good for the steps that
// take seconds (instance boot, package install, rDNS), not for the sub-second ones.
import { existsSync, readFileSync } from "node:fs";

export interface Phase {
  /** The resource's name (the URN's last part) and the step's op (create, update, replace, ...). */
  name: string;
  op: string;
  seconds: number;
}

export interface CommandPhases {
  /** From the first engine event until the program's own code starts (the host's "Running program"): CLI, language host, TypeScript set-up. */
  hostSeconds: number;
  /** From then until the first resource step (or the end, when nothing changes): the program's run, invokes, providers' checks and diffs. */
  programSeconds: number;
  /** Resources whose step took at least a second, longest first. */
  resources: Phase[];
}

export function readEventLog(file: string): CommandPhases | undefined {
  if (!existsSync(file)) return undefined;
  const events = readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
  if (events.length === 0) return undefined;
  const first = events[0].timestamp as number;
  const started = new Map<string, { t: number; op: string }>();
  const phases: Phase[] = [];
  let firstStep: number | undefined;
  let programStart: number | undefined;
  for (const e of events) {
    if (/^Running program /.test(e.diagnosticEvent?.message ?? "")) programStart ??= e.timestamp;
    const pre = e.resourcePreEvent?.metadata;
    if (pre) {
      // Components (no provider) span their children: only custom resources are phases.
      if (pre.provider) {
        if (pre.op !== "same") firstStep ??= e.timestamp;
        started.set(`${pre.urn}|${pre.op}`, { t: e.timestamp, op: pre.op });
      }
    }
    const done = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    if (done) {
      const s = started.get(`${done.urn}|${done.op}`);
      if (s && s.op !== "same") phases.push({ name: String(done.urn).split("::").pop()!, op: s.op, seconds: e.timestamp - s.t });
    }
  }
  const last = events[events.length - 1].timestamp as number;
  const program = programStart ?? first;
  return {
    hostSeconds: program - first,
    programSeconds: (firstStep ?? last) - program,
    resources: phases.filter((p) => p.seconds >= 1).sort((a, b) => b.seconds - a.seconds || a.name.localeCompare(b.name)),
  };
}

export function formatPhases(p: CommandPhases): string {
  return [`host ${p.hostSeconds} s`, `program ${p.programSeconds} s`, ...p.resources.map((r) => `${r.name} ${r.seconds} s`)].join(", ");
}
