// One Pulumi stack of this project driven by the real CLI against the local
// Linode world: a scratch project directory whose sources are symlinks to this
// checkout (so the stack file and state never land in the repository), the
// world's exports as environment, and every command timed.
import { spawn, SpawnOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliEnv } from "./cli";
import { CommandPhases, readEventLog } from "./eventLog";
import type { World } from "../world/world";

const ROOT = join(__dirname, "..", "..", "..");
/** What the program needs at run time (Pulumi.yaml is copied: the CLI resolves `main` next to it). */
const LINKED = [
  "index.ts",
  "program.ts",
  "config",
  "model",
  "components",
  "templates",
  "node_modules",
  "package.json",
  "tsconfig.json",
  "tsconfig.program.json",
];

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (SIGTERM after `timeoutMs`), collecting its output and wall time. */
function collect(command: string, argv: string[], options: SpawnOptions, timeoutMs: number): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, argv, options);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export class EngineStack {
  readonly dir: string;
  readonly timings: Record<string, number> = {};
  /** Per timed command that changes resources: where its time went (the engine's event log). */
  readonly phases: Record<string, CommandPhases> = {};
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly pulumi: string,
    readonly name: string,
    opts: { world?: World; ownBackend?: boolean; env?: Record<string, string> } = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "vpn-engine-"));
    for (const f of LINKED) symlinkSync(join(ROOT, f), join(this.dir, f));
    writeFileSync(join(this.dir, "Pulumi.yaml"), readFileSync(join(ROOT, "Pulumi.yaml")));
    const own = opts.ownBackend || !opts.world;
    if (own) mkdirSync(join(this.dir, "state"));
    this.env = cliEnv({
      // Without a world: a closed local port, so that no request can leave this machine.
      LINODE_URL: "http://127.0.0.1:9",
      PULUMI_CONFIG_PASSPHRASE: "test-only passphrase",
      // Unhides --event-log (pkg/cmd/pulumi/operations/up.go), where the phases come from.
      PULUMI_DEBUG_COMMANDS: "true",
      ...(opts.world ? { ...opts.world.env(), NODE_EXTRA_CA_CERTS: opts.world.httpsCaFile } : {}),
      ...(own ? { PULUMI_BACKEND_URL: `file://${join(this.dir, "state")}` } : {}),
      ...(opts.env ?? {}),
    });
  }

  /** Runs `pulumi <args> --stack <name> --non-interactive`, recording its wall time under `label`. */
  run(args: string[], label?: string, timeoutMs = 30 * 60_000): Promise<CliRun> {
    const eventLog = label && ["up", "preview", "destroy"].includes(args[0]) ? join(this.dir, `events-${Object.keys(this.timings).length}.jsonl`) : undefined;
    const argv = [...args, ...(eventLog ? ["--event-log", eventLog] : []), "--stack", this.name, "--non-interactive"];
    return collect(this.pulumi, argv, { cwd: this.dir, env: this.env }, timeoutMs).then((r) => {
      if (label) this.timings[label] = r.ms;
      const phases = eventLog ? readEventLog(eventLog) : undefined;
      if (label && phases) this.phases[label] = phases;
      return r;
    });
  }

  /**
   * Runs one of this project's commands (`npm run <script>` of package.json is
   * `ts-node scripts/<script>.ts`) as a user runs it in this stack's project
   * directory, with the stack's environment (backend, passphrase, the world).
   */
  script(name: string, args: string[], timeoutMs = 30 * 60_000): Promise<CliRun> {
    const argv = ["--require", "ts-node/register/transpile-only", join(ROOT, "scripts", `${name}.ts`), ...args];
    const env = { ...this.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") };
    return collect(process.execPath, argv, { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"] }, timeoutMs);
  }

  async ok(args: string[], label?: string): Promise<CliRun> {
    const r = await this.run(args, label);
    if (r.status !== 0)
      throw new Error(`pulumi ${args.join(" ")} (stack ${this.name}) exited ${r.status}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return r;
  }

  async init(config: Record<string, string>, secrets: Record<string, string> = {}): Promise<void> {
    await this.ok(["stack", "init"]); // the name comes from --stack
    // --plaintext: the CLI refuses values that look like secrets unless told either way.
    for (const [k, v] of Object.entries(config)) await this.ok(["config", "set", "--plaintext", "--path", k, v]);
    for (const [k, v] of Object.entries(secrets)) await this.ok(["config", "set", "--secret", "--path", k, v]);
  }

  async outputs(): Promise<Record<string, any>> {
    return JSON.parse((await this.ok(["stack", "output", "--json", "--show-secrets"])).stdout);
  }

  /** `pulumi preview --json`: the planned steps (op per URN). */
  async plan(extra: string[] = [], label?: string): Promise<{ op: string; urn: string; type: string }[]> {
    const r = await this.ok(["preview", "--json", ...extra], label);
    const doc = JSON.parse(r.stdout);
    return (doc.steps ?? []).map((s: any) => ({ op: s.op, urn: s.urn, type: (s.newState ?? s.oldState)?.type ?? s.urn.split("::")[2] }));
  }

  async resources(): Promise<{ urn: string; type: string; id?: string; outputs?: Record<string, unknown> }[]> {
    const r = await this.ok(["stack", "export"]);
    return JSON.parse(r.stdout).deployment.resources ?? [];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
