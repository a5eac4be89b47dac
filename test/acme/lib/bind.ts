// A real BIND (named) on 127.0.0.1, authoritative for the tier's test zones and
// accepting TSIG-signed dynamic updates. (BIND only listens on interface addresses,
// so a second "authoritative server" on 127.0.0.2 is played by pebble-challtestsrv.)
import { randomBytes } from "node:crypto";
import { promises as dnsp } from "node:dns";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, freePort, startDaemon, waitFor } from "./procs";
import { namedConf } from "../../lib/named";

export interface TsigKeySpec {
  name: string;
  algorithm: "hmac-sha256" | "hmac-sha384" | "hmac-sha512";
  secret: string;
}

export interface ZoneSpec {
  name: string;
  /** Name servers listed as NS records (ns<i>.<zone>), each with its A address. */
  nameservers: string[];
  /** update-policy grant lines, e.g. `grant acme-test. name _acme-challenge.vpn.example.com. TXT;` */
  grants?: string[];
}

export interface Bind {
  port: number;
  daemon: Daemon;
  stop(): Promise<void>;
}

export function newTsigKey(name: string, algorithm: TsigKeySpec["algorithm"] = "hmac-sha256"): TsigKeySpec {
  return { name, algorithm, secret: randomBytes(32).toString("base64") };
}

function zoneFile(z: ZoneSpec): string {
  const lines = [
    "$TTL 60",
    `@ IN SOA ns1.${z.name}. hostmaster.${z.name}. 1 60 60 600 1`,
    ...z.nameservers.map((_, i) => `@ IN NS ns${i + 1}.${z.name}.`),
    ...z.nameservers.map((ip, i) => `ns${i + 1} IN A ${ip}`),
  ];
  return `${lines.join("\n")}\n`;
}

function acmeNamedConf(dir: string, port: number, keys: TsigKeySpec[], zones: ZoneSpec[]): string {
  return namedConf({ dir, port, v4: ["127.0.0.1"], keys, zones: zones.map((z) => ({ name: z.name, file: join(dir, `${z.name}.db`), grants: z.grants })) });
}

/** TXT values of `fqdn` as served by `server:port` right now (fresh resolver: no cache). */
export async function txtValues(server: string, port: number, fqdn: string): Promise<string[]> {
  const r = new dnsp.Resolver({ timeout: 1000, tries: 2 });
  r.setServers([`${server}:${port}`]);
  try {
    return (await r.resolveTxt(fqdn)).map((chunks) => chunks.join(""));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTFOUND" || code === "ENODATA") return [];
    throw e;
  }
}

export async function startBind(dir: string, keys: TsigKeySpec[], zones: ZoneSpec[]): Promise<Bind> {
  mkdirSync(dir, { recursive: true });
  for (const z of zones) writeFileSync(join(dir, `${z.name}.db`), zoneFile(z));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, "named.conf");
    writeFileSync(conf, acmeNamedConf(dir, port, keys, zones));
    const daemon = startDaemon("named", "/usr/sbin/named", ["-g", "-4", "-c", conf]);
    try {
      for (const z of zones) {
        await waitFor(
          `named to serve ${z.name} on 127.0.0.1:${port}`,
          15000,
          async () => {
            const r = new dnsp.Resolver({ timeout: 500, tries: 1 });
            r.setServers([`127.0.0.1:${port}`]);
            return (await r.resolveSoa(z.name)).nsname !== undefined;
          },
          daemon,
        );
      }
      return { port, daemon, stop: () => daemon.stop() };
    } catch (e) {
      lastError = e;
      await daemon.stop();
      if (!/address in use/i.test(daemon.output())) break;
    }
  }
  throw lastError;
}
