// The user lifecycle's RADIUS server (model/server/aaa.ts) inside the server
// namespace: the rendered FreeRADIUS files, byte for byte except their absolute
// paths, which point into the test's private directory; the database created from
// the rendered schema as the apply step does; freeradius in the foreground.
// `vpn-aaa` (the rendered enforcement script) runs the same way, on demand, where
// the host's systemd timer would run it every minute.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AAA_DATA_DIR, AAA_DIR, AAA_PATHS } from "../../model/server/aaa";
import type { ServerFile } from "../../model/server/files";
import { inNs, run, runOk, RunResult } from "./exec";
import { Daemon, startDaemon, waitForLine } from "./procs";
import { swanctlEnv, SwanctlEnv } from "./swanctl";

export interface AaaDirs {
  conf: string;
  data: string;
  metrics: string;
  swanctlDir: string;
}

export function aaaDirs(dir: string, swanctlDir: string): AaaDirs {
  return { conf: join(dir, "vpn-radius"), data: join(dir, "vpn-radius-data"), metrics: join(dir, "metrics"), swanctlDir };
}

/** Whether a rendered path belongs to the lifecycle's files. */
export function isAaaPath(path: string): boolean {
  return Object.values(AAA_PATHS).includes(path as never);
}

/** The rendered absolute paths, moved into the private directories. */
export function rewriteAaaPaths(text: string, d: AaaDirs): string {
  return text
    .split(AAA_DIR)
    .join(d.conf)
    .split(AAA_DATA_DIR)
    .join(d.data)
    .split(dirname(AAA_PATHS.metrics))
    .join(d.metrics)
    .split("/etc/swanctl/")
    .join(`${d.swanctlDir}/`);
}

/** Where a lifecycle file lands: configuration under conf/, host-only files (units, script) beside. */
export function aaaLocalPath(d: AaaDirs, path: string): string {
  if (path.startsWith(`${AAA_DIR}/`)) return join(d.conf, path.slice(AAA_DIR.length + 1));
  return join(d.conf, "..", "aaa-host", path.slice(1).replace(/\//g, "_"));
}

export function writeAaaFiles(d: AaaDirs, files: ServerFile[]): void {
  for (const f of files.filter((x) => isAaaPath(x.path))) {
    const p = aaaLocalPath(d, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, rewriteAaaPaths(f.content, d), { mode: parseInt(f.mode, 8) });
  }
}

export function scriptPath(d: AaaDirs): string {
  return aaaLocalPath(d, AAA_PATHS.script);
}

export function databasePath(d: AaaDirs): string {
  return join(d.data, "radius.sqlite");
}

/** Creates or upgrades the database from the rendered schema (what the apply step runs), then starts freeradius. */
export async function startRadius(ns: string, d: AaaDirs): Promise<Daemon> {
  mkdirSync(d.data, { recursive: true });
  mkdirSync(d.metrics, { recursive: true });
  await runOk(["sh", "-c", 'sqlite3 "$1" < "$2"', "sh", databasePath(d), join(d.conf, "schema.sql")]);
  const check = await run(["freeradius", "-Cx", "-lstdout", "-d", d.conf]);
  if (check.code !== 0) throw new Error(`freeradius refused the rendered configuration:\n${(check.stdout + check.stderr).slice(-3000)}`);
  const daemon = startDaemon(inNs(ns, ["freeradius", "-f", "-l", "stdout", "-d", d.conf]));
  await waitForLine(daemon, /Ready to process requests/, 15_000, "freeradius ready");
  return daemon;
}

/** `vpn-aaa <args>` in the server namespace, against this charon. */
export function runVpnAaa(ns: string, d: AaaDirs, env: SwanctlEnv, args: string[]): Promise<RunResult> {
  return run(inNs(ns, ["sh", scriptPath(d), ...args]), { env: swanctlEnv(env), timeoutMs: 30_000 });
}

/** A SQL query against the database (sqlite3 -json). */
export async function query<T = Record<string, unknown>>(d: AaaDirs, sql: string): Promise<T[]> {
  const r = await runOk(["sqlite3", "-json", databasePath(d), sql]);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as T[]) : [];
}
