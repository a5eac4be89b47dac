// Talking to one charon through swanctl (vici over a private unix socket), and
// reading `swanctl --list-sas --raw`, whose format is
//   list-sa event {NAME {key=value key=[a b] child-sas {NAME-ID {...}}}}
import { CommandError, run, runOk, RunResult } from "./exec";

export interface SwanctlEnv {
  /** strongswan.conf with this charon's vici socket. */
  strongswanConf: string;
  /** Directory holding swanctl.conf, x509/, x509ca/, private/. */
  swanctlDir: string;
}

export function swanctlEnv(e: SwanctlEnv): NodeJS.ProcessEnv {
  return { ...process.env, STRONGSWAN_CONF: e.strongswanConf, SWANCTL_DIR: e.swanctlDir };
}

export function swanctl(e: SwanctlEnv, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run(["swanctl", ...args], { env: swanctlEnv(e), timeoutMs });
}

export async function swanctlOk(e: SwanctlEnv, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return runOk(["swanctl", ...args], { env: swanctlEnv(e), timeoutMs });
}

/** A parsed vici value: string, list of strings, or section. */
export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}

/** Parses one line of `swanctl --raw` output (after the event/command name). */
export function parseRaw(line: string): ViciSection {
  const brace = line.indexOf("{");
  if (brace < 0) throw new Error(`not a raw vici message: ${line}`);
  let i = brace + 1;
  const ws = () => {
    while (i < line.length && line[i] === " ") i++;
  };
  const token = (stops: string) => {
    const start = i;
    while (i < line.length && !stops.includes(line[i])) i++;
    return line.slice(start, i);
  };
  const section = (): ViciSection => {
    const out: ViciSection = {};
    for (;;) {
      ws();
      if (i >= line.length) throw new Error(`unterminated section in: ${line}`);
      if (line[i] === "}") {
        i++;
        return out;
      }
      const key = token(" ={}");
      ws();
      if (line[i] === "{") {
        i++;
        out[key] = section();
      } else if (line[i] === "=") {
        i++;
        if (line[i] === "[") {
          i++;
          const items: string[] = [];
          for (;;) {
            ws();
            if (line[i] === "]") {
              i++;
              break;
            }
            items.push(token(" ]"));
          }
          out[key] = items;
        } else {
          out[key] = token(" }");
        }
      } else {
        throw new Error(`unexpected '${line[i]}' at ${i} in: ${line}`);
      }
    }
  };
  return section();
}

export interface ChildSaInfo {
  name: string;
  state: string;
  protocol: string;
  encap: boolean;
  encrAlg?: string;
  encrKeysize?: string;
  integAlg?: string;
  dhGroup?: string;
  localTs: string[];
  remoteTs: string[];
  bytesIn: number;
  bytesOut: number;
}

export interface IkeSaInfo {
  /** Connection name. */
  name: string;
  uniqueId: string;
  state: string;
  localId: string;
  remoteId: string;
  remoteEapId?: string;
  /** The peer's EAP identity (swanctl omits remote-eap-id when it equals remote-id). */
  remoteUser: string;
  localHost: string;
  remoteHost: string;
  encrAlg?: string;
  encrKeysize?: string;
  integAlg?: string;
  prfAlg?: string;
  dhGroup?: string;
  localVips: string[];
  remoteVips: string[];
  children: ChildSaInfo[];
  raw: ViciSection;
}

const str = (v: ViciValue | undefined): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: ViciValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === "string" ? [v] : []);

function toIkeSa(name: string, s: ViciSection): IkeSaInfo {
  const childSec = (s["child-sas"] ?? {}) as ViciSection;
  return {
    name,
    uniqueId: str(s.uniqueid) ?? "",
    state: str(s.state) ?? "",
    localId: str(s["local-id"]) ?? "",
    remoteId: str(s["remote-id"]) ?? "",
    remoteEapId: str(s["remote-eap-id"]),
    remoteUser: str(s["remote-eap-id"]) ?? str(s["remote-id"]) ?? "",
    localHost: str(s["local-host"]) ?? "",
    remoteHost: str(s["remote-host"]) ?? "",
    encrAlg: str(s["encr-alg"]),
    encrKeysize: str(s["encr-keysize"]),
    integAlg: str(s["integ-alg"]),
    prfAlg: str(s["prf-alg"]),
    dhGroup: str(s["dh-group"]),
    localVips: list(s["local-vips"]),
    remoteVips: list(s["remote-vips"]),
    children: Object.values(childSec).map((c) => {
      const cs = c as ViciSection;
      return {
        name: str(cs.name) ?? "",
        state: str(cs.state) ?? "",
        protocol: str(cs.protocol) ?? "",
        encap: str(cs.encap) === "yes",
        encrAlg: str(cs["encr-alg"]),
        encrKeysize: str(cs["encr-keysize"]),
        integAlg: str(cs["integ-alg"]),
        dhGroup: str(cs["dh-group"]),
        localTs: list(cs["local-ts"]),
        remoteTs: list(cs["remote-ts"]),
        bytesIn: Number(str(cs["bytes-in"]) ?? 0),
        bytesOut: Number(str(cs["bytes-out"]) ?? 0),
      };
    }),
    raw: s,
  };
}

/** Every IKE_SA the charon behind `e` knows, with its CHILD_SAs. */
export async function listSas(e: SwanctlEnv): Promise<IkeSaInfo[]> {
  const res = await swanctl(e, ["--list-sas", "--raw"], 15_000);
  if (res.code !== 0) throw new CommandError(["swanctl", "--list-sas", "--raw"], res);
  return parseListSas(res.stdout);
}

/** The output of `swanctl --list-sas --raw` (from any charon, local or over SSH), parsed. */
export function parseListSas(stdout: string): IkeSaInfo[] {
  const out: IkeSaInfo[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("list-sa event")) continue;
    const msg = parseRaw(line);
    for (const [name, sec] of Object.entries(msg)) out.push(toIkeSa(name, sec as ViciSection));
  }
  return out;
}
