// The stack outputs `npm run status` needs, read with the Pulumi CLI: `servers`
// (secret: SSH access per region, `pulumi stack output servers --show-secrets
// --json`), `regions` and `certificateNotAfter` (not secret), through the shared
// scripts/lib/stackOutput.ts (secrets never echoed, pulumi's error as one line).
import { readFileSync } from "node:fs";
import type { ServerAccess } from "./ssh";
import { parseHostKey } from "./ssh";
import { UsageError } from "../lib/cli";
import { pulumiStackOutput } from "../lib/stackOutput";

/** A mistake of the caller (arguments, stack or region name): one line, exit 2 (scripts/lib/cli.ts). */
export { UsageError };

export interface StackView {
  servers: Record<string, ServerAccess>;
  /** Per region: hostname and certificateNotAfter from `regions` / `certificateNotAfter`. */
  regions: Record<string, { hostname?: string; certificateNotAfter?: string }>;
  /** Regions not to connect to, with the reason (no pinned host key yet): reported, never tried unpinned. */
  unpinned?: Record<string, { host: string; hostname?: string; reason: string }>;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
}

/**
 * The outputs status needs. Only `servers` is read with --show-secrets (the smallest
 * exposure: passwords and profiles stay encrypted); the rest without.
 */
export function readStackOutputs(stack: string): Record<string, unknown> {
  const plain = parseJson(pulumiStackOutput(stack, []), `pulumi stack output for stack ${stack}`) as Record<string, unknown>;
  const servers = parseJson(pulumiStackOutput(stack, ["servers", "--show-secrets"]), `the servers output of stack ${stack}`);
  return { regions: plain.regions, certificateNotAfter: plain.certificateNotAfter, servers };
}

/** Outputs saved as JSON (the hidden --outputs-json of status and share, for tests): a missing or broken file is the caller's mistake. */
export function readOutputsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${file} is not JSON`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Validates the outputs' shape; errors name the field. `where` names the source (stack or file). */
export function stackView(outputs: Record<string, unknown>, where: string): StackView {
  if (!isObj(outputs.servers))
    throw new Error(`${where} has no \`servers\` output (SSH access per region): run \`pulumi up\` with this version of the program first`);
  const servers: Record<string, ServerAccess> = {};
  const unpinned: NonNullable<StackView["unpinned"]> = {};
  for (const [region, v] of Object.entries(outputs.servers)) {
    const field = (k: string) => `servers.${region}.${k}`;
    if (!isObj(v)) throw new Error(`${where}: servers.${region} is not an object`);
    if (v.hostKey === undefined || v.hostKey === null || v.hostKey === "") {
      // A region whose host key is not known yet (e.g. recorded on the first connection): never connect unpinned.
      unpinned[region] = {
        host: typeof v.host === "string" ? v.host : "?",
        ...(typeof v.hostname === "string" ? { hostname: v.hostname } : {}),
        reason: `the stack holds no host key for ${region} (${field("hostKey")} is empty): refusing to connect unpinned; run \`pulumi up\``,
      };
      continue;
    }
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
  for (const region of [...Object.keys(servers), ...Object.keys(unpinned)]) {
    const r = isObj(summary[region]) ? summary[region] : {};
    const hostname = typeof r.hostname === "string" ? r.hostname : (servers[region] ?? unpinned[region]).hostname;
    const na = typeof notAfter[region] === "string" ? notAfter[region] : typeof r.certificateNotAfter === "string" ? r.certificateNotAfter : undefined;
    regions[region] = { ...(hostname ? { hostname } : {}), ...(na ? { certificateNotAfter: na } : {}) };
  }
  return { servers, regions, ...(Object.keys(unpinned).length ? { unpinned } : {}) };
}
