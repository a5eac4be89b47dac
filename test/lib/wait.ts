// Waiting for a condition with a deadline: the only synchronisation the harness uses.

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between attempts. Default 50 ms. */
  intervalMs?: number;
  /** Named in the timeout error. */
  what: string;
}

export class WaitTimeout extends Error {
  constructor(what: string, ms: number, last: unknown) {
    super(
      `timed out after ${ms} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : last !== undefined ? `: last value ${JSON.stringify(last)}` : ""}`,
    );
    this.name = "WaitTimeout";
  }
}

/** Thrown by a probe to stop waiting at once (the condition can no longer become true). */
export class GiveUp extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GiveUp";
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` until it returns a value other than undefined/false (returned) or
 * the deadline passes (throws WaitTimeout). A probe that throws counts as "not yet"
 * (the last error is reported on timeout), except GiveUp, which is rethrown at once.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() >= deadline) throw new WaitTimeout(opts.what, opts.timeoutMs, last);
    await delay(opts.intervalMs ?? 50);
  }
}
