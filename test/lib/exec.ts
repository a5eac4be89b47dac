// Running commands from the harness: bounded in time, output captured, and a
// failure that says which command failed and what it printed.
import { spawn, SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock duration in milliseconds. */
  ms: number;
}

export interface RunOptions {
  /** Kill the command (SIGKILL) after this many milliseconds. Default 30 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
}

export class CommandError extends Error {
  constructor(
    public readonly argv: string[],
    public readonly result: RunResult,
  ) {
    super(
      `command failed (${result.signal ?? `exit ${result.code}`}, ${result.ms} ms): ${argv.join(" ")}\n` +
        `${tail(result.stderr)}${result.stdout ? `\nstdout: ${tail(result.stdout)}` : ""}`,
    );
    this.name = "CommandError";
  }
}

function tail(s: string, max = 4000): string {
  return s.length > max ? `...${s.slice(-max)}` : s;
}

/** Runs argv[0] with the rest as arguments; never throws for a non-zero exit. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] };
    const child = spawn(argv[0], argv.slice(1), spawnOpts);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(opts.input ?? "");
  });
}

/** Like run(), but throws CommandError unless the command exits 0. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(argv, opts);
  if (res.code !== 0) throw new CommandError(argv, res);
  return res;
}

/** argv prefixed to run inside a network namespace. */
export function inNs(ns: string, argv: string[]): string[] {
  return ["ip", "netns", "exec", ns, ...argv];
}

/** A file's text, or "" when it does not exist (yet): logs and resolv.conf files of daemons. */
export function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
