// npm run render -- --config <file.yaml> --out <dir> [--stack <name>]
// Writes, per region, every server file (mirroring its absolute path), every
// remote step script in order, and every user's profiles — offline, no Pulumi.
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { validateConfig, ConfigError } from "../config/validate";
import { renderOffline } from "../model/offline";
import { writeProfileTree } from "./profiles";

const USAGE = "usage: npm run render -- --config <file.yaml> --out <dir> [--stack <name>]";
const HELP = `${USAGE}
Renders offline, without Pulumi or a Linode account, from a stack file (e.g. Pulumi.dev.yaml):
per region <dir>/<region>/server/ (every server file at its absolute path),
<dir>/<region>/provision/NN-<step>.sh (+ .stdin) and <dir>/<region>/profiles/<user>/.
Offline there is no certificate from the CA, so no <user>-signed.mobileconfig is written,
and vpn:region is checked for its format only (the program checks it against Linode's regions).`;

/** A user error: one line, exit 2. */
function usageError(msg: string): never {
  console.error(`render: ${msg}`);
  process.exit(2);
}

const KNOWN_FLAGS = new Set(["--config", "--out", "--stack"]);

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : fallback;
  if (v === undefined || v.startsWith("--")) usageError(`--${name} is required (${USAGE})`);
  return v;
}

function readStackFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    usageError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (e as Error).message}`);
  }
  try {
    return YAML.parse(text) ?? {};
  } catch (e) {
    usageError(`${path} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

function write(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // an existing file keeps its old mode otherwise
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return;
  }
  const unknown = argv.filter((a, i) => a.startsWith("-") && !KNOWN_FLAGS.has(a) && !(i > 0 && KNOWN_FLAGS.has(argv[i - 1])));
  if (unknown.length) usageError(`unknown option ${unknown[0]} (${USAGE})`);
  const out = arg("out");
  const doc = readStackFile(arg("config"));
  let tree;
  try {
    tree = renderOffline(doc, arg("stack", "dev"), validateConfig);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
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
    console.log(`${region.region}: ${region.files.length} server files, ${region.steps.length} steps, ${Object.keys(region.profiles).length} users' profiles -> ${base}`);
  }
}

main();
