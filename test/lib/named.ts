// named.conf for a test's own authoritative BIND (no recursion, no DNSSEC
// validation, no notify, no control channel, everything kept in its directory).
// Used by the acme tier (TSIG updates), the e2e resolver tests (a signed test root)
// and the engine tier's local Linode world (the sandbox zone).
import { join } from "node:path";

export interface NamedZone {
  name: string;
  file: string;
  /** e.g. `grant KEY. name _acme-challenge.HOST. TXT;` (an update-policy). */
  grants?: string[];
}

export interface NamedConfOptions {
  dir: string;
  port?: number;
  /** IPv4 addresses to listen on; IPv6 ones, if any (default: none). */
  v4: string[];
  v6?: string[];
  keys?: { name: string; algorithm: string; secret: string }[];
  zones: NamedZone[];
}

export function namedConf(o: NamedConfOptions): string {
  const port = o.port ?? 53;
  return [
    "options {",
    `  directory "${o.dir}";`,
    `  listen-on port ${port} { ${o.v4.join("; ")}; };`,
    o.v6?.length ? `  listen-on-v6 port ${port} { ${o.v6.join("; ")}; };` : "  listen-on-v6 { none; };",
    "  recursion no;",
    "  dnssec-validation no;",
    "  notify no;",
    "  pid-file none;",
    `  session-keyfile "${join(o.dir, "session.key")}";`,
    `  managed-keys-directory "${o.dir}";`,
    "};",
    "controls { };",
    ...(o.keys ?? []).map((k) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`),
    ...o.zones.map((z) => `zone "${z.name}" { type primary; file "${z.file}";${z.grants?.length ? ` update-policy { ${z.grants.join(" ")} };` : ""} };`),
    "",
  ].join("\n");
}
