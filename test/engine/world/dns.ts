// DnsBackend: BIND (Debian's named) authoritative for the world's zones on
// 203.0.113.1:53 (this machine's side of the bridge), where the client namespaces'
// resolv.conf, Pebble's DNS-01 validation (-dnsserver) and resolve() ask.
// apply() rewrites the zone file with a new serial and reloads named (SIGHUP:
// "reloads named.conf and all zones", BIND 9 ARM, Signals), then waits until the
// new serial is served, so a record is visible when apply() resolves.
import { promises as dnsp } from "node:dns";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, startDaemon, waitFor } from "../../acme/lib/procs";
import type { DnsBackend, DnsRecordSpec } from "./api/backends";
import { NET } from "./addresses";
import { namedConf } from "../../lib/named";

const NAME_RE = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/** A TXT value as zone-file character-strings: quoted, escaped, split at 255 bytes (RFC 1035 §3.3.14, §5.1). */
export function txtData(value: string): string {
  const chunks: string[] = [];
  const bytes = Buffer.from(value, "utf8");
  for (let i = 0; i < bytes.length || i === 0; i += 255) chunks.push(bytes.subarray(i, i + 255).toString("utf8"));
  return chunks.map((c) => `"${c.replace(/[\\"]/g, (m) => `\\${m}`)}"`).join(" ");
}

/** Zone file text; throws naming the record on anything BIND would refuse. */
export function zoneFile(zone: string, serial: number, records: DnsRecordSpec[]): string {
  const lines = ["$TTL 30", `@ IN SOA ns1.${zone}. hostmaster.${zone}. ${serial} 30 30 600 5`, `@ IN NS ns1.${zone}.`, `ns1 IN A ${NET.dns}`];
  for (const r of records) {
    const owner = r.name === "" ? "@" : r.name;
    if (owner !== "@" && !NAME_RE.test(owner)) throw new Error(`DNS record name ${JSON.stringify(r.name)} in ${zone} is not a valid name`);
    const ttl = Number.isInteger(r.ttl_sec) && r.ttl_sec > 0 ? r.ttl_sec : 300;
    let data: string;
    switch (r.type) {
      case "A":
      case "AAAA":
        data = r.target;
        break;
      case "TXT":
        data = txtData(r.target);
        break;
      case "CNAME":
      case "NS":
        data = r.target.endsWith(".") ? r.target : `${r.target}.`;
        break;
      default:
        throw new Error(`DNS record ${r.name || "@"} ${r.type}: type not served by the local world (A, AAAA, TXT, CNAME, NS)`);
    }
    lines.push(`${owner} ${ttl} IN ${r.type} ${data}`);
  }
  return `${lines.join("\n")}\n`;
}

export class Bind implements DnsBackend {
  private daemon: Daemon | undefined;
  private serial = Math.floor(Date.now() / 1000);
  private readonly records = new Map<string, DnsRecordSpec[]>();

  constructor(
    private readonly dir: string,
    readonly zones: string[],
    private readonly log: (m: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.daemon?.proc.pid;
  }

  private zonePath(zone: string): string {
    return join(this.dir, `${zone}.db`);
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    for (const z of this.zones) writeFileSync(this.zonePath(z), zoneFile(z, this.serial, []));
    const conf = join(this.dir, "named.conf");
    writeFileSync(conf, namedConf({ dir: this.dir, v4: [NET.dns], zones: this.zones.map((z) => ({ name: z, file: this.zonePath(z) })) }));
    this.daemon = startDaemon("named", "/usr/sbin/named", ["-g", "-4", "-c", conf]);
    for (const z of this.zones) await this.waitSerial(z, this.serial);
    this.log(`world: BIND authoritative for ${this.zones.join(", ")} on ${NET.dns}:53`);
  }

  private async waitSerial(zone: string, serial: number): Promise<void> {
    await waitFor(
      `named to serve ${zone} serial ${serial}`,
      15_000,
      async () => {
        const r = new dnsp.Resolver({ timeout: 500, tries: 1 });
        r.setServers([`${NET.dns}:53`]);
        return (await r.resolveSoa(zone)).serial === serial;
      },
      this.daemon,
    );
  }

  async apply(zone: string, records: DnsRecordSpec[]): Promise<void> {
    if (!this.zones.includes(zone)) throw new Error(`zone ${zone} is not served by the world (${this.zones.join(", ")})`);
    const serial = ++this.serial;
    writeFileSync(this.zonePath(zone), zoneFile(zone, serial, records));
    this.records.set(
      zone,
      records.map((r) => ({ ...r })),
    );
    this.daemon?.proc.kill("SIGHUP");
    await this.waitSerial(zone, serial);
  }

  async resolve(fqdn: string): Promise<string[]> {
    const r = new dnsp.Resolver({ timeout: 1000, tries: 2 });
    r.setServers([`${NET.dns}:53`]);
    const quiet = async (p: Promise<string[]>) => {
      try {
        return await p;
      } catch {
        return []; // NXDOMAIN, no data, refused (outside our zones)
      }
    };
    return [...(await quiet(r.resolve4(fqdn))), ...(await quiet(r.resolve6(fqdn)))];
  }

  /** What apply() last served per zone (for status). */
  served(): Record<string, DnsRecordSpec[]> {
    return Object.fromEntries(this.records);
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
  }
}
