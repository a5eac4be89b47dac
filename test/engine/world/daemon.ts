// The world as a daemon (started by `scripts/sandbox.sh start`, run with ts-node):
// starts the world, writes the exports to <dir>/env (shell-quoted `export K=V`
// lines, 0600) and <dir>/ready, serves until SIGTERM/SIGINT, then tears
// everything down and exits 0.
//   ts-node test/engine/world/daemon.ts          run (progress on stderr)
//   ts-node test/engine/world/daemon.ts --sweep  remove what a crashed world left
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_STATE_DIR } from "./addresses";
import { recordPid, sweepWorld, worldOwner } from "./sweep";
import { startWorld, World } from "./world";

/** POSIX shell single-quoting. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join("");
}

const KEEP = ["daemon.log", "daemon.pid"];

/**
 * The sandbox's PULUMI_CONFIG_PASSPHRASE, the same after `sandbox.sh stop` and `start`:
 * a stack file (Pulumi.<stack>.yaml) keeps the salt and the values encrypted with it, so a
 * new passphrase at each start would leave it unreadable. Kept beside the state dir,
 * which stop removes, mode 0600.
 */
function stablePassphrase(dir: string): string {
  const file = `${dir.replace(/\/+$/, "")}.passphrase`;
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  return readFileSync(file, "utf8").trim();
}

async function main(): Promise<void> {
  const dir = DEFAULT_STATE_DIR;
  const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
  if (process.argv.includes("--sweep")) {
    const owner = worldOwner();
    if (owner && owner.dir !== dir) throw new Error(`not sweeping: a world owned by pid ${owner.pid} (state ${owner.dir}) is running`);
    const r = sweepWorld(dir);
    log(r.removed.length ? `swept: ${r.removed.join(", ")}` : "nothing to sweep");
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The pid sandbox.sh signals: this process's own (a launcher may have forked).
  writeFileSync(join(dir, "daemon.pid"), `${process.pid}\n`);
  let world: World | undefined;
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`world: ${sig}: stopping`);
    const t = Date.now();
    await world?.stop();
    log(`world: stopped in ${Date.now() - t} ms`);
    process.exit(0);
  };
  // Until the world is up, the harness's exit hooks handle a signal (sweep at once, die).
  world = await startWorld({ dir, log, keepFiles: KEEP, passphrase: stablePassphrase(dir) });
  // From now on an orderly stop: the hooks' immediate kill-everything would pre-empt it
  // (they still run on a crash, through the "exit" event).
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.removeAllListeners(sig);
    process.on(sig, () => void shutdown(sig));
  }
  recordPid(dir, process.pid, "daemon.ts");
  writeFileSync(join(dir, "env"), exportLines(world.env()), { mode: 0o600 });
  writeFileSync(join(dir, "ready"), `${JSON.stringify({ pid: process.pid, startMs: world.timings.startMs, url: world.url })}\n`, { mode: 0o600 });
  log(`world: serving (pid ${process.pid}); stop with scripts/sandbox.sh stop`);
  // The API server's socket keeps the event loop alive until shutdown.
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`world: failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
