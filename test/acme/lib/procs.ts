// Child processes and waiting, for the acme tier: every process is stopped by its
// own PID, and every wait polls a condition with a deadline.
import { ChildProcess, spawn, SpawnOptions } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";

export interface Daemon {
  name: string;
  proc: ChildProcess;
  /** Everything the process wrote (stdout + stderr), for failure messages. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Daemons still running; killed (by PID) if the test process exits or is interrupted without stopping them. */
const live = new Set<ChildProcess>();
let hooked = false;

const scratchDirs = new Set<string>();

function killLive(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  scratchDirs.clear();
}

/** A scratch directory removed at exit if its owner did not remove it (interrupted run). */
export function removeAtExit(dir: string): void {
  hookExit();
  scratchDirs.add(dir);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killLive);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      killLive();
      process.kill(process.pid, sig);
    });
  }
}

export function startDaemon(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Daemon {
  hookExit();
  const proc = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  let done = false;
  const append = (b: Buffer) => {
    out = (out + b.toString()).slice(-20000);
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  const exit = new Promise<void>((resolve) => {
    proc.on("exit", () => {
      done = true;
      live.delete(proc);
      resolve();
    });
    proc.on("error", (e) => {
      out += `\nspawn error: ${e.message}`;
      done = true;
      resolve();
    });
  });
  return {
    name,
    proc,
    output: () => out,
    exited: () => done,
    async stop() {
      if (done || proc.pid === undefined) return;
      proc.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([exit.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 5000)))]);
      clearTimeout(timer);
      if (!killed) {
        proc.kill("SIGKILL");
        await exit;
      }
    },
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, daemon?: Daemon): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (daemon?.exited()) throw new Error(`${daemon.name} exited while waiting for ${what}:\n${daemon.output()}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}${daemon ? `\n${daemon.name} output:\n${daemon.output()}` : ""}`,
      );
    }
    await delay(50);
  }
}

/** A TCP port that is free on 127.0.0.1 right now (the caller retries if it is taken meanwhile). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function run(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout?.on("data", (b) => (out += b));
    proc.stderr?.on("data", (b) => (out += b));
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}
