// A real S3-compatible server for the shared-state tests: SeaweedFS (`weed server -s3`,
// master, volume, filer and S3 gateway in one process) on loopback, with one bucket
// and two identities shaped like Linode's limited keys: read-write and read-only on
// that bucket (SeaweedFS S3 identities, `-s3.config`: actions "Read:<bucket>",
// "Write:<bucket>", "List:<bucket>"). Not MinIO (its licence). The binary is found,
// never built: docs/gitops.md says how to get it.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stateBackendUrl } from "../../../scripts/state-bucket";
import { waitFor } from "../../lib/wait";

export interface S3Key {
  accessKey: string;
  secretKey: string;
}

export const READ_WRITE: S3Key = { accessKey: "PIPELINERWKEY0000001", secretKey: "pipeline-read-write-secret-key-0000000001" };
export const READ_ONLY: S3Key = { accessKey: "PREVIEWROKEY00000001", secretKey: "preview-read-only-secret-key-00000000001" };

/** The SeaweedFS binary: on PATH, else /usr/local/bin/weed. */
export function findWeed(): string | undefined {
  const r = spawnSync("sh", ["-c", "command -v weed"], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  return existsSync("/usr/local/bin/weed") ? "/usr/local/bin/weed" : undefined;
}

export const WEED_MISSING =
  'no `weed` binary (SeaweedFS S3 gateway) on PATH or at /usr/local/bin/weed; docs/gitops.md, "What the tests prove, and what they need", says how to get it';

/** A port that is free, with port + 10000 free too (weed puts each gRPC port there). */
async function freePortPair(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer().once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 9000);
    if ((await free(p)) && (await free(p + 10000))) return p;
  }
  throw new Error("no free port pair");
}

export interface S3Server {
  bucket: string;
  ports: { master: number; volume: number; filer: number; s3: number };
  /** The DIY-backend URL, in the form `npm run state-bucket` prints. */
  backendUrl: string;
  /** Every object in the bucket, read through the filer's HTTP API (not through the CLI under test). */
  objects(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

export async function startS3(weed: string, bucket: string): Promise<S3Server> {
  const base = mkdtempSync(join(tmpdir(), "vpn-s3-"));
  const ports = { master: await freePortPair(), volume: await freePortPair(), filer: await freePortPair(), s3: await freePortPair() };
  const identities = {
    identities: [
      { name: "pipeline", credentials: [READ_WRITE], actions: [`Read:${bucket}`, `Write:${bucket}`, `List:${bucket}`, `Tagging:${bucket}`] },
      { name: "preview", credentials: [READ_ONLY], actions: [`Read:${bucket}`, `List:${bucket}`] },
    ],
  };
  writeFileSync(join(base, "s3.json"), JSON.stringify(identities));
  mkdirSync(join(base, "data"));
  let log = "";
  const server: ChildProcess = spawn(
    weed,
    [
      "server",
      `-dir=${join(base, "data")}`,
      "-ip=127.0.0.1",
      "-ip.bind=127.0.0.1",
      `-master.port=${ports.master}`,
      `-volume.port=${ports.volume}`,
      "-master.volumeSizeLimitMB=64",
      "-volume.max=8",
      "-filer",
      `-filer.port=${ports.filer}`,
      "-s3",
      `-s3.port=${ports.s3}`,
      `-s3.config=${join(base, "s3.json")}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout!.on("data", (d) => (log = (log + d).slice(-20000)));
  server.stderr!.on("data", (d) => (log = (log + d).slice(-20000)));
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once("close", r));
      server.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    // Ready when the S3 gateway answers and the filer creates the bucket (a folder under /buckets).
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.s3}/`)).status > 0, {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: `SeaweedFS S3 on port ${ports.s3}`,
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.filer}/buckets/${bucket}/`, { method: "POST" })).ok, {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: `the bucket ${bucket}`,
    });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nweed's log:\n${log.slice(-3000)}`);
  }
  const objects = async (dir = `/buckets/${bucket}/`): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const res = await fetch(`http://127.0.0.1:${ports.filer}${dir}?limit=1000`, { headers: { Accept: "application/json" } });
    const listing = (await res.json()) as { Entries?: { FullPath: string; Mode: number }[] | null };
    for (const e of listing.Entries ?? []) {
      // Mode carries Go's os.ModeDir bit (1 << 31) for directories.
      if (e.Mode & 0x80000000) for (const [k, v] of await objects(`${e.FullPath}/`)) out.set(k, v);
      else out.set(e.FullPath, await (await fetch(`http://127.0.0.1:${ports.filer}${e.FullPath}`)).text());
    }
    return out;
  };
  return { bucket, ports, backendUrl: stateBackendUrl(bucket, `http://127.0.0.1:${ports.s3}`, "us-ord-1"), objects: () => objects(), stop };
}
