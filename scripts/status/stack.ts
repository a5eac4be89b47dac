// The stack outputs `npm run status` needs, read with the Pulumi CLI
// (`pulumi stack output --json --show-secrets`): `servers` (secret: SSH access per
// region), `regions` and `certificateNotAfter`. stdout holds secrets and is never
// echoed; pulumi's stderr is reduced to one line for the error message.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ServerAccess } from "./ssh";
import { parseHostKey } from "./ssh";

/** A mistake of the caller (arguments, stack or region name): one line, exit 2. */
export class UsageError extends Error {}

export interface StackView {
  servers: Record<string, ServerAccess>;
  /** Per region: hostname and certificateNotAfter from `regions` / `certificateNotAfter`. */
  regions: Record<string, { hostname?: string; certificateNotAfter?: string }>;
}

/** The Pulumi CLI: PATH, then $PULUMI_HOME/bin, then ~/.pulumi/bin (where the installer puts it). */
export function findPulumi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(":").filter(Boolean)) if (existsSync(join(dir, "pulumi"))) return join(dir, "pulumi");
  for (const home of [env.PULUMI_HOME, join(homedir(), ".pulumi")]) if (home && existsSync(join(home, "bin", "pulumi"))) return join(home, "bin", "pulumi");
  return undefined;
}

export function readStackOutputs(stack: string): Record<string, unknown> {
  const pulumi = findPulumi();
  if (!pulumi) throw new Error("the Pulumi CLI is not installed (no pulumi on PATH, in $PULUMI_HOME/bin or ~/.pulumi/bin): install it as the README's \"The two commands\" says");
  const r = spawnSync(pulumi, ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`cannot run ${pulumi}: ${r.error.message}`);
  if (r.status !== 0) {
    const msg = (r.stderr ?? "").split("\n").map((l) => l.trim()).filter(Boolean).find((l) => /error/i.test(l)) ?? (r.stderr ?? "").trim().split("\n")[0] ?? "";
    if (/no stack named|stack .* not found|does not exist/i.test(msg)) throw new UsageError(`stack ${stack} does not exist (pulumi: ${msg.replace(/^error:\s*/i, "")})`);
    throw new Error(`pulumi stack output failed for stack ${stack}: ${msg || `exit ${r.status}`}`);
  }
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`pulumi stack output for stack ${stack} is not JSON`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Validates the outputs' shape; errors name the field. `where` names the source (stack or file). */
export function stackView(outputs: Record<string, unknown>, where: string): StackView {
  if (!isObj(outputs.servers)) throw new Error(`${where} has no \`servers\` output (SSH access per region): run \`pulumi up\` with this version of the program first`);
  const servers: Record<string, ServerAccess> = {};
  for (const [region, v] of Object.entries(outputs.servers)) {
    const field = (k: string) => `servers.${region}.${k}`;
    if (!isObj(v)) throw new Error(`${where}: servers.${region} is not an object`);
    const s = (k: string, ok: (x: string) => boolean, what: string): string => {
      const x = v[k];
      if (typeof x !== "string" || !ok(x)) throw new Error(`${where}: ${field(k)} ${typeof x === "string" ? `must be ${what}` : "is missing"}`);
      return x;
    };
    const host = s("host", (x) => /^[0-9A-Za-z.:-]+$/.test(x) && !x.startsWith("-"), "an IP address or host name");
    const user = s("user", (x) => /^[a-z_][a-z0-9_-]*$/.test(x), "a login name");
    const privateKey = s("privateKey", (x) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(x), "a PEM private key");
    const hostKey = s("hostKey", (x) => /\S/.test(x), "an OpenSSH public key line");
    parseHostKey(hostKey, `${where}: ${field("hostKey")}`);
    const hostname = typeof v.hostname === "string" ? v.hostname : undefined;
    servers[region] = { host, user, privateKey, hostKey, ...(hostname ? { hostname } : {}) };
  }
  const regions: StackView["regions"] = {};
  const summary = isObj(outputs.regions) ? outputs.regions : {};
  const notAfter = isObj(outputs.certificateNotAfter) ? outputs.certificateNotAfter : {};
  for (const region of Object.keys(servers)) {
    const r = isObj(summary[region]) ? summary[region] : {};
    const hostname = typeof r.hostname === "string" ? r.hostname : servers[region].hostname;
    const na = typeof notAfter[region] === "string" ? notAfter[region] : typeof r.certificateNotAfter === "string" ? r.certificateNotAfter : undefined;
    regions[region] = { ...(hostname ? { hostname } : {}), ...(na ? { certificateNotAfter: na as string } : {}) };
  }
  return { servers, regions };
}
