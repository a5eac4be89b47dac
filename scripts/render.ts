// npm run render -- --config <file.yaml> --out <dir> [--stack <name>]
// Writes, per region, every server file (mirroring its absolute path), every
// remote step script in order, and every user's profiles — offline, no Pulumi.
import { mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import YAML from "yaml";
import { validateConfig, ConfigError } from "../config/validate";
import { renderOffline } from "../model/offline";
import { writeProfileTree } from "./profiles";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) {
    console.error("usage: npm run render -- --config <file.yaml> --out <dir> [--stack <name>]");
    process.exit(2);
  }
  return v;
}

function write(path: string, content: string | Buffer, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  chmodSync(path, mode); // an existing file keeps its old mode otherwise
}

function main(): void {
  const out = arg("out");
  const doc = YAML.parse(readFileSync(arg("config"), "utf8")) ?? {};
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
