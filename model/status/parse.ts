// Reading the status script's output (./script.ts) into plain facts. Strict about
// the framing (every line `@@key value`, a known format version, an end marker,
// so a cut connection is not mistaken for "nobody online"); tolerant inside a
// section that failed (charon down, apt missing): that part is reported unknown.
import { decodePacket, list, num, PACKET, section, str, ViciPacket, ViciSection } from "./vici";
import { STATUS_FORMAT } from "./script";
import { parseUsageJson, UsageFacts, UsageParseError } from "./usage";

/** Traffic counters as charon keeps them per CHILD_SA. */
export interface Counters {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

export interface ChildFacts extends Counters {
  name: string;
  state: string;
  /** Seconds since this CHILD_SA was installed: since the last CHILD rekey. */
  installedSeconds?: number;
  rekeyInSeconds?: number;
}

export interface IkeSaFacts {
  connection: string;
  uniqueId: string;
  state: string;
  /** EAP identity when EAP-authenticated, else the IKE identity. */
  user: string;
  /** The IKE identity the peer sent (a Windows client sends its IP address). */
  remoteId: string;
  remoteHost: string;
  remotePort?: number;
  remoteVips: string[];
  /** Seconds since this IKE_SA was established (an IKE rekey starts a new one). */
  establishedSeconds?: number;
  children: ChildFacts[];
}

export interface PoolFacts {
  name: string;
  base: string;
  size: number;
  online: number;
  offline: number;
}

export interface LoadedCert {
  der: Buffer;
  hasPrivateKey: boolean;
}

export interface ServerFacts {
  /** Server clock (UTC seconds) when the script ran. */
  now: number;
  /** The server's UTC offset, e.g. "+0000". */
  tz: string;
  uptimeSeconds?: number;
  /** `systemctl is-active strongswan` ("active", "inactive", "failed", ...). */
  service: string;
  /** Why charon could not be asked (vici unreachable or refused); undefined when it answered. */
  viciError?: string;
  version?: { daemon: string; version: string; sysname?: string; release?: string; machine?: string };
  stats?: { runningSince?: string; ikeSas?: number; halfOpen?: number };
  pools: PoolFacts[];
  loadedCerts: LoadedCert[];
  sas: IkeSaFacts[];
  /** The certificate file apply loaded (PEM text), undefined when absent. */
  certFilePem?: string;
  apt: { state: "ok" | "failed" | "absent" | "unknown"; upgradable: { name: string; security: boolean }[]; listsUpdatedAt?: number };
  rebootRequiredFile?: boolean;
  rebootPackages: string[];
  kernelRunning?: string;
  /** PRETTY_NAME from /etc/os-release. */
  os?: string;
  kernelsInstalled: string[];
  unattendedUpgrades: { installed?: boolean; startLine?: string; lastLine?: string };
  /** `vpn-aaa usage` (only asked with --usage); undefined when not asked. */
  usage?: UsageFacts;
}

export class StatusParseError extends Error {}

function parseHex(hex: string, what: string): ViciPacket {
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) throw new StatusParseError(`${what}: not a hex vici packet`);
  return decodePacket(Buffer.from(hex, "hex"), { base64Keys: ["data"] });
}

function ikeSasOf(msg: ViciSection): IkeSaFacts[] {
  return Object.entries(msg).map(([connection, v]) => {
    const s = section(v);
    const children = Object.values(section(s["child-sas"])).map((c) => {
      const cs = section(c);
      return {
        name: str(cs.name) ?? "",
        state: str(cs.state) ?? "",
        bytesIn: num(cs["bytes-in"]) ?? 0,
        bytesOut: num(cs["bytes-out"]) ?? 0,
        packetsIn: num(cs["packets-in"]) ?? 0,
        packetsOut: num(cs["packets-out"]) ?? 0,
        installedSeconds: num(cs["install-time"]),
        rekeyInSeconds: num(cs["rekey-time"]),
      };
    });
    const remoteId = str(s["remote-id"]) ?? "";
    return {
      connection,
      uniqueId: str(s.uniqueid) ?? "",
      state: str(s.state) ?? "",
      // swanctl omits remote-eap-id when it equals remote-id.
      user: str(s["remote-eap-id"]) ?? remoteId,
      remoteId,
      remoteHost: str(s["remote-host"]) ?? "",
      remotePort: num(s["remote-port"]),
      remoteVips: list(s["remote-vips"]),
      establishedSeconds: num(s.established),
      children,
    };
  });
}

function poolsOf(msg: ViciSection): PoolFacts[] {
  return Object.entries(msg).map(([name, v]) => {
    const p = section(v);
    return { name, base: str(p.base) ?? "", size: num(p.size) ?? 0, online: num(p.online) ?? 0, offline: num(p.offline) ?? 0 };
  });
}

/** Parses the whole output of renderStatusScript(). Throws StatusParseError when it is not that output, or cut short. */
export function parseStatusOutput(output: string): ServerFacts {
  // Lines before the first `@@format` come from the login shell's rc files, not the script.
  const all = output.split("\n");
  const start = all.findIndex((l) => l.startsWith("@@format "));
  const lines = (start < 0 ? [] : all.slice(start)).filter((l) => l !== "");
  const facts: ServerFacts = {
    now: 0,
    tz: "+0000",
    service: "unknown",
    pools: [],
    loadedCerts: [],
    sas: [],
    apt: { state: "unknown", upgradable: [] },
    rebootPackages: [],
    kernelsInstalled: [],
    unattendedUpgrades: {},
  };
  let format: string | undefined;
  let ended = false;
  let viciDone = false;
  for (const line of lines) {
    const m = /^@@([a-z-]+)(?: (.*))?$/.exec(line);
    if (!m) throw new StatusParseError(`unexpected line in the status output: ${JSON.stringify(line.slice(0, 120))}`);
    const [, key, value = ""] = m;
    switch (key) {
      case "format":
        format = value;
        if (value !== STATUS_FORMAT) throw new StatusParseError(`status output format ${value}, expected ${STATUS_FORMAT}`);
        break;
      case "now":
        facts.now = Number(value);
        break;
      case "tz":
        if (/^[+-]\d{4}$/.test(value)) facts.tz = value;
        break;
      case "uptime": {
        const up = Number(value);
        if (value !== "" && Number.isFinite(up)) facts.uptimeSeconds = Math.floor(up);
        break;
      }
      case "service":
        facts.service = value || "unknown";
        break;
      case "cert-file":
        if (value !== "-" && value !== "") facts.certFilePem = Buffer.from(value, "base64").toString("utf8");
        break;
      case "vici": {
        const sp = value.indexOf(" ");
        const label = value.slice(0, sp);
        const p = parseHex(value.slice(sp + 1), `vici ${label}`);
        if (label === "version" && p.type === PACKET.CMD_RESPONSE) {
          const v = p.message;
          facts.version = {
            daemon: str(v.daemon) ?? "",
            version: str(v.version) ?? "",
            sysname: str(v.sysname),
            release: str(v.release),
            machine: str(v.machine),
          };
        } else if (label === "stats" && p.type === PACKET.CMD_RESPONSE) {
          const ike = section(p.message.ikesas);
          facts.stats = { runningSince: str(section(p.message.uptime).since), ikeSas: num(ike.total), halfOpen: num(ike["half-open"]) };
        } else if (label === "pools" && p.type === PACKET.CMD_RESPONSE) {
          facts.pools = poolsOf(p.message);
        } else if (label === "certs" && p.type === PACKET.EVENT && p.name === "list-cert") {
          const data = str(p.message.data);
          if (data) facts.loadedCerts.push({ der: Buffer.from(data, "base64"), hasPrivateKey: str(p.message.has_privkey) === "yes" });
        } else if (label === "sas" && p.type === PACKET.EVENT && p.name === "list-sa") {
          facts.sas.push(...ikeSasOf(p.message));
        }
        break;
      }
      case "vici-done":
        viciDone = true;
        break;
      case "vici-error":
        facts.viciError = value || "charon did not answer";
        break;
      case "apt":
        if (value === "ok" || value === "failed" || value === "absent") facts.apt.state = value;
        break;
      case "inst": {
        const [name, kind] = value.split(" ");
        if (name) facts.apt.upgradable.push({ name, security: kind === "security" });
        break;
      }
      case "apt-lists":
        if (/^\d+$/.test(value)) facts.apt.listsUpdatedAt = Number(value);
        break;
      case "reboot-required":
        facts.rebootRequiredFile = value === "yes";
        break;
      case "reboot-pkgs":
        facts.rebootPackages = value.split(" ").filter(Boolean);
        break;
      case "kernel-running":
        facts.kernelRunning = value || undefined;
        break;
      case "os":
        facts.os = value || undefined;
        break;
      case "kernels-installed":
        facts.kernelsInstalled = value.split(" ").filter(Boolean);
        break;
      case "uu-installed":
        facts.unattendedUpgrades.installed = value === "install ok installed";
        break;
      case "uu-start":
        facts.unattendedUpgrades.startLine = value;
        break;
      case "uu-last":
        facts.unattendedUpgrades.lastLine = value;
        break;
      case "aaa-usage":
        if (value === "-") facts.usage = { state: "absent" };
        else if (value.startsWith("failed")) facts.usage = { state: "failed", reason: value.slice(7) || "vpn-aaa usage failed" };
        else {
          try {
            facts.usage = parseUsageJson(Buffer.from(value, "base64").toString("utf8"));
          } catch (err) {
            if (!(err instanceof UsageParseError)) throw err;
            facts.usage = { state: "failed", reason: err.message };
          }
        }
        break;
      case "end":
        ended = true;
        break;
      default:
        // A newer script's extra facts are ignored; the format version guards incompatible changes.
        break;
    }
  }
  if (format === undefined) throw new StatusParseError("no status output (the script did not run)");
  if (!ended) throw new StatusParseError("the status output ends early (connection cut or script killed)");
  if (!viciDone && !facts.viciError) facts.viciError = "charon's answers end early";
  return facts;
}
