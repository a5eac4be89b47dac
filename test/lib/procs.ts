// Long-running processes (charon, echo and iperf3 servers): started detached
// from stdin, tracked by PID, stopped by PID with SIGTERM then SIGKILL.
import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { trackPid, untrackPid } from "./cleanup";
import { GiveUp, waitFor } from "./wait";

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr to this file instead of collecting them. */
  logFile?: string;
}

export class Daemon {
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Collected output (when no logFile was given). */
  output = "";
  private lineListeners: Array<(line: string) => void> = [];
  private partial = "";
  readonly exited: Promise<void>;

  constructor(
    readonly argv: string[],
    readonly pid: number,
    child: ReturnType<typeof spawn>,
  ) {
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        untrackPid(pid);
        resolve();
      });
    });
    const onData = (d: Buffer) => {
      const text = d.toString();
      this.output += text;
      this.partial += text;
      const lines = this.partial.split("\n");
      this.partial = lines.pop()!;
      for (const line of lines) for (const l of this.lineListeners) l(line);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exitStatus(): string | undefined {
    return this.exitInfo && (this.exitInfo.signal ?? `exit ${this.exitInfo.code}`);
  }

  onLine(fn: (line: string) => void): void {
    this.lineListeners.push(fn);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const ended = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
    if (!ended) {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        /* gone */
      }
      await this.exited;
    }
  }
}

/** Starts argv in the background. `ip netns exec` execs in place, so the PID is the daemon's own. */
export function startDaemon(argv: string[], opts: DaemonOptions = {}): Daemon {
  let fd: number | undefined;
  if (opts.logFile) fd = openSync(opts.logFile, "a");
  const child = spawn(argv[0], argv.slice(1), {
    env: opts.env ?? process.env,
    stdio: ["ignore", fd ?? "pipe", fd ?? "pipe"],
  });
  if (fd !== undefined) closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${argv.join(" ")}`);
  trackPid(child.pid);
  return new Daemon(argv, child.pid, child);
}

/** Waits until the daemon prints a line matching `re` (and fails early if it exits). */
export function waitForLine(d: Daemon, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  return waitFor(
    () => {
      if (!d.running) throw new GiveUp(`${d.argv.join(" ")} exited (${d.exitStatus}): ${d.output.slice(-2000)}`);
      return d.output.split("\n").find((l) => re.test(l));
    },
    { timeoutMs, what },
  );
}
