// A stack's config as the Pulumi CLI holds it, for the commands that read or change
// users (status, users). Nothing here decrypts a secret: `pulumi config --json`
// elides secret values, and the table form of `pulumi config` shows a secret map's
// keys with "[secret]" for each value (pulumi v3.248 pkg/cmd/pulumi/config/config.go
// listConfig: a blinding decrypter unless --show-secrets; JSON drops secure values).
import { spawnSync } from "node:child_process";
import { UsageError } from "./cli";
import { findPulumi } from "./findPulumi";
import { NO_PULUMI_CLI } from "./findPulumi";

export interface PulumiRun {
  /** The CLI's path (findPulumi). */
  pulumi: string;
  /** The environment of every pulumi command (with the project's backend, for users). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export function pulumiRun(env: NodeJS.ProcessEnv = process.env, cwd?: string): PulumiRun {
  const pulumi = findPulumi(env);
  if (!pulumi) throw new Error(NO_PULUMI_CLI);
  return { pulumi, env, ...(cwd ? { cwd } : {}) };
}

/** pulumi's stderr as one line: the error line, without its "error: " prefix. */
export function pulumiError(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? "").replace(/^error:\s*/i, "");
}

/**
 * Runs `pulumi <args>` with stdout and stderr captured (stdout may hold secrets: never
 * echoed). `input` goes to its stdin. A stack that does not exist is a UsageError.
 */
export function pulumiCapture(run: PulumiRun, args: string[], stack: string, what: string, input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(run.pulumi, args, {
    cwd: run.cwd,
    env: run.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    input: input ?? "",
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (r.error) throw new Error(`cannot run ${run.pulumi}: ${r.error.message}`);
  const msg = pulumiError(r.stderr ?? "");
  if (r.status !== 0 && /no stack named|stack .* not found/i.test(msg)) throw new UsageError(`stack ${stack} does not exist (pulumi: ${msg})`);
  if (r.status !== 0 && /passphrase/i.test(msg))
    throw new UsageError(`${what} failed for stack ${stack}: ${msg} (set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE as for pulumi up)`);
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function failed(what: string, stack: string, r: { status: number; stderr: string }): Error {
  return new Error(`${what} failed for stack ${stack}: ${pulumiError(r.stderr) || `exit ${r.status}`}`);
}

/** The value of one `pulumi config --json` entry: objectValue when structured, else value. */
function entryValue(e: unknown): unknown {
  if (typeof e !== "object" || e === null) return undefined;
  const o = e as { value?: unknown; objectValue?: unknown };
  return o.objectValue !== undefined ? o.objectValue : o.value;
}

export interface StackConfig {
  /** Full key ("vpn:users") -> plain value; secret keys are absent here. */
  values: Record<string, unknown>;
  /** Full keys whose value is secret (their values are never read). */
  secretKeys: string[];
}

/** `pulumi config --json --stack <stack>`: every plain value, and which keys are secret. */
export function readStackConfig(run: PulumiRun, stack: string): StackConfig {
  const r = pulumiCapture(run, ["config", "--json", "--stack", stack], stack, "pulumi config");
  if (r.status !== 0) throw failed("pulumi config", stack, r);
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`pulumi config --json for stack ${stack} is not JSON`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`pulumi config --json for stack ${stack} is not an object`);
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, e] of Object.entries(doc as Record<string, unknown>)) {
    if ((e as { secret?: unknown } | null)?.secret === true) secretKeys.push(key);
    else values[key] = entryValue(e);
  }
  return { values, secretKeys };
}

/**
 * The keys of the secret map `key` ("vpn:passwords") without decrypting a value: the
 * row of the `pulumi config` table, where a map of secure values shows as
 * {"alice":"[secret]"} and a value encrypted as a whole as [secret]. The row is named
 * by the full key, or without the namespace when it is the project's (PrettyKey).
 * undefined: the whole value is one secret (its keys cannot be seen without decrypting).
 */
export function secretMapKeys(run: PulumiRun, stack: string, key: string): string[] | undefined {
  const r = pulumiCapture(run, ["config", "--stack", stack], stack, "pulumi config");
  if (r.status !== 0) throw failed("pulumi config", stack, r);
  const short = key.slice(key.indexOf(":") + 1);
  for (const line of r.stdout.split("\n")) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m || (m[1] !== key && m[1] !== short)) continue;
    try {
      const v = JSON.parse(m[2]) as unknown;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) return Object.keys(v);
    } catch {
      // "[secret]": not JSON.
    }
    return undefined;
  }
  return [];
}
