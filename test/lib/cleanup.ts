// Last-resort cleanup. Every process and namespace the harness creates is
// registered here while it lives; the owner removes it normally (teardown()),
// and whatever is still registered when this Node process exits or is
// interrupted is killed / deleted synchronously, so a failing or aborted test
// leaves nothing behind. Namespaces left by a run that was SIGKILLed are swept
// by sweepStaleNamespaces() at the next run.
import { execFileSync } from "node:child_process";

const pids = new Set<number>();
const namespaces = new Set<string>();
const dirs = new Set<string>();
let hooked = false;

/** Namespace names start with this, then the creating process's PID. */
export const NS_PREFIX = "vt";
const NS_RE = new RegExp(`^${NS_PREFIX}(\\d+)x\\d+-`);

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", emergencyCleanup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      emergencyCleanup();
      process.kill(process.pid, sig);
    });
  }
}

export function trackPid(pid: number): void {
  hook();
  pids.add(pid);
}
export function untrackPid(pid: number): void {
  pids.delete(pid);
}
export function trackNamespace(ns: string): void {
  hook();
  namespaces.add(ns);
}
export function untrackNamespace(ns: string): void {
  namespaces.delete(ns);
}
export function trackDir(dir: string): void {
  hook();
  dirs.add(dir);
}
export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killNow(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/** PIDs of processes inside a namespace (all of them were started by the harness). */
export function namespacePids(ns: string): number[] {
  try {
    return execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function deleteNamespaceNow(ns: string): void {
  for (const pid of namespacePids(ns)) killNow(pid);
  try {
    execFileSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
  } catch {
    /* already gone */
  }
}

function emergencyCleanup(): void {
  for (const pid of pids) killNow(pid);
  pids.clear();
  for (const ns of namespaces) deleteNamespaceNow(ns);
  namespaces.clear();
  for (const dir of dirs) {
    try {
      execFileSync("rm", ["-rf", "--one-file-system", dir], { stdio: "ignore" });
    } catch {
      /* best effort */
    }
  }
  dirs.clear();
}

/** Deletes harness namespaces whose creating process no longer exists. */
export function sweepStaleNamespaces(): string[] {
  let names: string[];
  try {
    names = execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.split(" ")[0])
      .filter(Boolean);
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const m = NS_RE.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !isAlive(Number(m[1]));
  });
  for (const ns of stale) deleteNamespaceNow(ns);
  return stale;
}
