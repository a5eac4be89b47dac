// The Pulumi CLI and what it needs to run this program, found where an installed
// CLI keeps them (PATH, then $PULUMI_HOME/bin, default ~/.pulumi/bin, and its plugin
// cache). Nothing here installs or builds anything: scripts/test-all.sh installs them
// the official way where the internet is reachable.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { findPulumi, NO_PULUMI_CLI } from "../../../scripts/lib/findPulumi";
import { dirname, join } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");

export interface CliInventory {
  /** Path of the pulumi binary, if any. */
  pulumi?: string;
  version?: string;
  /** The Node.js language host (pulumi-language-nodejs): without it no TypeScript program runs. */
  languageHost?: string;
  /** Provider plugins the npm SDKs declare, and whether the plugin cache holds each at that version. */
  plugins: { name: string; version: string; installed: boolean }[];
}

function onPath(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...extra, ...(process.env.PATH ?? "").split(":").filter(Boolean)]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The provider plugins this program needs: every dependency whose package.json has a `pulumi` resource block. */
export function requiredPlugins(): { name: string; version: string }[] {
  const deps = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies);
  const out: { name: string; version: string }[] = [];
  for (const d of deps) {
    const file = join(ROOT, "node_modules", d, "package.json");
    if (!existsSync(file)) continue;
    const p = JSON.parse(readFileSync(file, "utf8"));
    if (p.pulumi?.resource) out.push({ name: p.pulumi.name ?? d.replace(/^@pulumi\//, ""), version: p.pulumi.version ?? p.version });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function inventory(): CliInventory {
  const pulumi = findPulumi();
  const inv: CliInventory = { plugins: requiredPlugins().map((p) => ({ ...p, installed: false })) };
  if (!pulumi) return inv;
  inv.pulumi = pulumi;
  inv.version = execFileSync(pulumi, ["version"], { encoding: "utf8", env: cliEnv({}) }).trim();
  inv.languageHost = languageHostOf(pulumi);
  let listed: { name: string; kind: string; version: string }[] = [];
  try {
    listed = JSON.parse(execFileSync(pulumi, ["plugin", "ls", "--json"], { encoding: "utf8", env: cliEnv({}) }) || "[]") ?? [];
  } catch {
    /* an empty cache prints nothing useful */
  }
  for (const p of inv.plugins) p.installed = listed.some((l) => l.kind === "resource" && l.name === p.name && l.version === p.version);
  return inv;
}

/**
 * Where the CLI finds its Node.js language host: beside its own executable as the
 * kernel resolved it (os.Executable reads /proc/self/exe, so a symlinked `pulumi`
 * such as /usr/local/bin/pulumi -> ~/.pulumi/bin/pulumi looks in ~/.pulumi/bin),
 * then beside the link, then on PATH.
 */
export function languageHostOf(pulumi: string): string | undefined {
  return onPath("pulumi-language-nodejs", [...new Set([dirname(realpathSync(pulumi)), dirname(pulumi)])]);
}

/** Why no program can run here (no CLI, or no Node.js language host next to it), or undefined. */
export function missingCli(inv: CliInventory): string | undefined {
  if (!inv.pulumi) return NO_PULUMI_CLI;
  if (!inv.languageHost) return `pulumi ${inv.version} has no Node.js language host (pulumi-language-nodejs) next to it or on PATH`;
  return undefined;
}

/** Why the full engine tier cannot run here, or undefined when everything is present. */
export function missingForEngine(inv: CliInventory): string | undefined {
  if (!inv.pulumi) return NO_PULUMI_CLI;
  const missing = [
    ...(inv.languageHost ? [] : ["the Node.js language host pulumi-language-nodejs"]),
    ...inv.plugins.filter((p) => !p.installed).map((p) => `plugin ${p.name} ${p.version}`),
  ];
  return missing.length ? `pulumi ${inv.version} found at ${inv.pulumi}, but not: ${missing.join(", ")}` : undefined;
}

/** Environment for CLI runs: no update check, no downloads, no browser, no colour. */
export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    NO_COLOR: "1",
    ...extra,
  };
}
