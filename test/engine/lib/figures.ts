// Wall times of the engine tier's CLI commands, kept after the run so that
// `npm run bench` can print them next to its own figures (they are figures, not
// assertions). One JSON file per test file, under a cache dir no world sweeps.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandPhases, formatPhases } from "./eventLog";

export const FIGURES_DIR = process.env.VPN_ENGINE_FIGURES_DIR ?? "/var/cache/vpn-engine-figures";

export interface EngineFigures {
  /** Which flow: "dynamic" (the dynamic providers alone) or "vpn" (the whole program). */
  flow: string;
  at: string;
  pulumi?: string;
  /** command label -> milliseconds */
  timings: Record<string, number>;
  /** command label -> where its time went (test/engine/lib/eventLog.ts) */
  phases?: Record<string, CommandPhases>;
}

/** The timing key of the new server's upgrade inside the first up's install-packages (bench/run.ts prints its share). */
export const UPGRADE_FIGURE = "first up: the upgrade in install-packages";

export function formatFigures(f: EngineFigures): string {
  return Object.entries(f.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(", ");
}

/** One line per command that has phases: "  up: start 3 s, us-ord-02-install-packages 18 s, ...". */
export function formatPhaseLines(f: EngineFigures, indent = "  "): string[] {
  return Object.entries(f.phases ?? {}).map(([label, p]) => `${indent}${label}: ${formatPhases(p)}`);
}

export function recordFigures(f: EngineFigures): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(join(FIGURES_DIR, `${f.flow}.json`), `${JSON.stringify(f, null, 2)}\n`);
  console.log(`engine figures (${f.flow}): ${formatFigures(f)}`);
  for (const line of formatPhaseLines(f)) console.log(line);
}

export function readFigures(): EngineFigures[] {
  if (!existsSync(FIGURES_DIR)) return [];
  return readdirSync(FIGURES_DIR)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(FIGURES_DIR, n), "utf8")) as EngineFigures);
}
