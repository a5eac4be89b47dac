// Synchronous last-resort cleanups, run when the test process exits or is
// interrupted (test/lib/cleanup.ts does the same for namespaces and processes).
const cleanups = new Set<() => void>();
let hooked = false;

function runAll(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      /* best effort: the next run's sweep removes the rest */
    }
  }
  cleanups.clear();
}

/** Registers `fn`; returns the function that unregisters it (call it after a normal cleanup). */
export function atExit(fn: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.on("exit", runAll);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(sig, () => {
        runAll();
        process.kill(process.pid, sig);
      });
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
