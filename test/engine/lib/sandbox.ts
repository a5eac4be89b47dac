// Runs scripts/sandbox.sh as a person would (asynchronously: the world may run in
// this process's children), and reads the exports `start` prints.
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");

export interface SandboxRun {
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** sandbox.sh <args>; resolves on "close" (every pipe holder gone), or says it timed out (then the command is killed). */
export function sandbox(args: string[], timeoutMs: number, opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<SandboxRun> {
  return new Promise((resolve) => {
    const child = spawn("bash", [join(ROOT, "scripts", "sandbox.sh"), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => undefined);
      child.stdin!.end(opts.input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve({ status: null, stdout, stderr, timedOut });
    }, timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

/** `export K='v'` lines (as `start` prints them) as an environment. */
export function parseExports(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'|'$/g, "").split(`'\\''`).join("'");
  }
  return env;
}

/** The network namespaces `sandbox.sh connect` makes (vs-k<N>) that exist now. */
export function connectNamespaces(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => /^vs-k\d+$/.test(n));
}

/** Lines of stderr that start with the script's prefix. */
export function sandboxLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("sandbox: "));
}
