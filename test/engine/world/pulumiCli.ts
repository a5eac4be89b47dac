// Finding the Pulumi CLI and the provider plugins the engine tier needs. The tier
// only looks where an installed CLI keeps them (issue 9, "Where no CLI exists"):
// `pulumi` on PATH, else ${PULUMI_HOME:-~/.pulumi}/bin/pulumi; plugins as the CLI
// itself lists them (`pulumi plugin ls --json`), at exactly the versions the npm
// SDKs declare (package.json "pulumi": {name, version}). Nothing here installs.
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export const ENGINE_PLUGINS = ["linode", "command", "tls", "random"] as const;

export interface PulumiCli {
  bin: string;
  version: string;
  /** name -> version, each as the SDK declares and the CLI has installed. */
  plugins: Record<string, string>;
  /** Environment for running the CLI: its bin dir first on PATH, no update check, no downloads. */
  env: Record<string, string>;
}

/** { name, version } of each provider plugin, from the installed npm SDKs. */
export function requiredPlugins(repoRoot = join(__dirname, "../../..")): { name: string; version: string }[] {
  return ENGINE_PLUGINS.map((p) => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "node_modules/@pulumi", p, "package.json"), "utf8")) as { version: string; pulumi?: { name?: string; version?: string } };
    return { name: pkg.pulumi?.name ?? p, version: pkg.pulumi?.version ?? pkg.version };
  });
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The CLI, or why there is none usable (one line). */
export function findPulumi(env: NodeJS.ProcessEnv = process.env): { cli: PulumiCli } | { reason: string } {
  const home = env.PULUMI_HOME ?? join(env.HOME ?? homedir(), ".pulumi");
  const onPath = (env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "pulumi")).find(executable);
  const bin = onPath ?? [join(home, "bin", "pulumi")].find(executable);
  if (!bin) return { reason: `no pulumi on PATH nor in ${join(home, "bin")}` };
  const dir = join(bin, "..");
  const cliEnv: Record<string, string> = {
    PATH: `${dir}${delimiter}${env.PATH ?? ""}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // A missing plugin is an error at once, never a download attempt (no Internet here).
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  const run = (args: string[]) => execFileSync(bin, args, { encoding: "utf8", env: { ...env, ...cliEnv }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  let version: string;
  let installed: { name: string; kind: string; version: string }[];
  try {
    version = run(["version"]).trim();
    installed = JSON.parse(run(["plugin", "ls", "--json"]) || "[]") as typeof installed;
  } catch (err) {
    return { reason: `${bin} does not run: ${(err as Error).message.split("\n")[0]}` };
  }
  const plugins: Record<string, string> = {};
  const missing: string[] = [];
  for (const p of requiredPlugins()) {
    const have = installed.some((i) => i.kind === "resource" && i.name === p.name && i.version.replace(/^v/, "") === p.version);
    if (have) plugins[p.name] = p.version;
    else missing.push(`${p.name} ${p.version}`);
  }
  if (missing.length) return { reason: `${bin} (${version}) lacks the resource plugin(s) ${missing.join(", ")} (pulumi plugin install resource NAME VERSION)` };
  return { cli: { bin, version, plugins, env: cliEnv } };
}

let announced = false;

/**
 * For the engine tests: undefined when the CLI and plugins are there, else the skip
 * reason, after printing the tier's one loud line (once per process).
 */
export function engineSkipReason(): string | undefined {
  const found = findPulumi();
  if ("cli" in found) return undefined;
  if (!announced) {
    announced = true;
    process.stderr.write(`engine: SKIPPED — no pulumi CLI: ${found.reason}\n`);
  }
  return `no pulumi CLI: ${found.reason}`;
}
