// npm run render -- --config <file.yaml> --out <dir> [--stack <name>]
// Writes, per region, every server file (mirroring its absolute path), every
// remote step script in order, and every user's profiles — offline, no Pulumi.
// Help, errors and exit statuses: the shared scripts/lib/cli.ts.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { validateConfig } from "../config/validate";
import { renderOffline } from "../model/offline";
import { CommandSpec, runCli, UsageError } from "./lib/cli";
import { writeProfileTree } from "./profiles";

const SPEC: CommandSpec = {
  name: "render",
  synopsis: "--config <file.yaml> --out <dir> [--stack <name>]",
  about: `Renders offline, without Pulumi or a Linode account, from a stack file (e.g. Pulumi.dev.yaml):
per region <dir>/<region>/server/ (every server file at its absolute path),
<dir>/<region>/provision/NN-<step>.sh (+ .stdin) and <dir>/<region>/profiles/<user>/.
Offline there is no certificate from the CA, so no <user>-signed.mobileconfig is written,
no profile holds a password (each device asks for it),
and vpn:region is checked for its format only (the program checks it against Linode's regions).`,
  options: [
    { flag: "--config", value: "<file.yaml>", text: "the stack file (plain values; secure: values become placeholders)", required: true },
    { flag: "--out", value: "<dir>", text: "where to write (each region's folder is replaced)", required: true },
    { flag: "--stack", value: "<name>", text: "the stack name the profiles' identifiers derive from (default dev)" },
  ],
  exitOk: "rendered",
  exitFailed: "the configuration or its render: map is invalid (one line per problem), or writing failed",
};

function readStackFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(`${path} is not a stack file (a map with a config: block)`);
  return doc as Record<string, unknown>;
}

function write(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // an existing file keeps its old mode otherwise
}

function main(opts: Record<string, string | true>): void {
  const out = opts.out as string;
  const doc = readStackFile(opts.config as string);
  // ConfigError and RenderMapError list their problems: runCli prints one line each.
  const tree = renderOffline(doc, (opts.stack as string | undefined) ?? "dev", validateConfig);
  for (const region of tree) {
    const base = join(out, region.region);
    rmSync(base, { recursive: true, force: true });
    for (const f of region.files) write(join(base, "server", f.path), f.content, parseInt(f.mode, 8));
    region.steps.forEach((s, i) => {
      const prefix = join(base, "provision", `${String(i + 1).padStart(2, "0")}-${s.name}`);
      write(`${prefix}.sh`, s.script, 0o755);
      if (s.stdin !== undefined) write(`${prefix}.stdin`, s.stdin, 0o600);
    });
    const profiles: Record<string, string | Buffer> = {};
    for (const [user, files] of Object.entries(region.profiles)) {
      for (const [name, content] of Object.entries(files)) profiles[`${region.region}/profiles/${user}/${name}`] = content;
    }
    writeProfileTree(out, profiles);
    console.log(
      `${region.region}: ${region.files.length} server files, ${region.steps.length} steps, ${Object.keys(region.profiles).length} users' profiles -> ${base}`,
    );
  }
}

runCli(SPEC, main);
