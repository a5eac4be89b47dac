// Floods for the e2e tier and the bench: a flooder host on the internet link with
// many source addresses (198.51.100.0/24, documentation range), the flooder
// (test/lib/ikeflood.ts) run in its namespace, and charon's CPU time from /proc.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inNs, runOk } from "./exec";
import type { FloodOptions, FloodResult } from "./ikeflood";
import { ClientHost, NET, Topology } from "./netns";
import { Daemon, startDaemon } from "./procs";
import { waitFor } from "./wait";

export const FLOOD_NET_V4 = "198.51.100";

export interface Flooder {
  host: ClientHost;
  sources: string[];
}

/**
 * A host with `count` (at most 250) extra IPv4 addresses; the server routes them via
 * the host. Add it before tunnels come up: a route change is an event charon sees.
 */
export async function addFlooder(topology: Topology, count: number): Promise<Flooder> {
  if (count < 1 || count > 250) throw new Error("1-250 flood sources");
  const host = await topology.addClientHost();
  const sources = Array.from({ length: count }, (_, i) => `${FLOOD_NET_V4}.${i + 1}`);
  const batch = sources.map((a) => `addr add ${a}/32 dev eth0`).join("\n") + "\n";
  await runOk(["ip", "-n", host.ns, "-batch", "-"], { input: batch, timeoutMs: 20_000 });
  await runOk(["ip", "-n", topology.server, "route", "add", `${FLOOD_NET_V4}.0/24`, "via", host.v4]);
  return { host, sources };
}

export interface RunningFlood {
  daemon: Daemon;
  /** Resolves with the flooder's final counts. */
  result: Promise<FloodResult>;
}

const FLOODER = join(__dirname, "ikeflood.ts");

/** Starts a flood from the flooder's namespace at the server's IPv4 address. */
export function startFlood(f: Flooder, o: Omit<FloodOptions, "server" | "sources">): RunningFlood {
  const opts: FloodOptions = { ...o, server: NET.serverV4, sources: f.sources };
  const daemon = startDaemon(inNs(f.host.ns, [process.execPath, "--require", "ts-node/register/transpile-only", FLOODER, JSON.stringify(opts)]));
  // The flooder is bounded (it stops after the count or seconds + 2 s): its exit is the end.
  const result = daemon.exited.then(() => {
    const line = daemon.output.split("\n").find((l) => l.startsWith("result "));
    if (!line) throw new Error(`the ${o.kind} flood ended (${daemon.exitStatus}) without a result: ${daemon.output.slice(-2000)}`);
    return JSON.parse(line.slice("result ".length)) as FloodResult;
  });
  return { daemon, result };
}

/** The flooder's latest progress line (counts so far), if any. */
export function floodProgress(d: Daemon): FloodResult | undefined {
  const line = d.output
    .split("\n")
    .filter((l) => l.startsWith("progress "))
    .pop();
  return line ? (JSON.parse(line.slice("progress ".length)) as FloodResult) : undefined;
}

/** Waits until the flood is under way: the server answered (COOKIE) and, for cookie-echo, did DH work. */
export async function floodUnderWay(d: Daemon, kind: FloodOptions["kind"]): Promise<FloodResult> {
  return waitFor(
    () => {
      const p = floodProgress(d);
      return p && p.sent > 0 && p.cookies > 0 && (kind === "spoofed" || p.dhResponses > 0) ? p : undefined;
    },
    { timeoutMs: 15_000, what: `the ${kind} flood under way (replies from the server): ${d.output.slice(-1000)}` },
  );
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) in parentheses: utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** Samples a value every `intervalMs` until stop() and returns the maximum seen. */
export function sampleMax(probe: () => number, intervalMs = 100): { stop: () => number } {
  let max = probe();
  const t = setInterval(() => {
    try {
      max = Math.max(max, probe());
    } catch {
      /* the process is gone: the caller's assertions say so */
    }
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(t);
      return max;
    },
  };
}

/** UDP datagrams the namespace's kernel dropped because a socket's receive queue was full (RcvbufErrors, IPv4 and IPv6). */
export async function udpReceiveQueueDrops(ns: string): Promise<number> {
  const { stdout } = await runOk(inNs(ns, ["cat", "/proc/net/snmp", "/proc/net/snmp6"]));
  // /proc/net/snmp: a "Udp:" header line of names, then a "Udp:" line of values; /proc/net/snmp6: "Udp6RcvbufErrors <n>".
  const udp = stdout.split("\n").filter((l) => l.startsWith("Udp: "));
  const v4 = udp.length === 2 ? Number(udp[1].split(/\s+/)[udp[0].split(/\s+/).indexOf("RcvbufErrors")]) : NaN;
  const v6 = Number(/^Udp6RcvbufErrors\s+(\d+)/m.exec(stdout)?.[1]);
  if (!Number.isFinite(v4) || !Number.isFinite(v6)) throw new Error(`no UDP RcvbufErrors in ${ns}'s /proc/net/snmp{,6}`);
  return v4 + v6;
}

/**
 * Resolves once the namespace's UDP receive queues have dropped nothing for `quietMs`
 * (charon's receiver keeps up with what nftables lets through), with the drops counted
 * since `since` (a udpReceiveQueueDrops reading).
 */
export async function receiveQueuesKeepUp(ns: string, since: number, o: { quietMs: number; timeoutMs: number }): Promise<number> {
  let last = await udpReceiveQueueDrops(ns);
  let changedAt = Date.now();
  return waitFor(
    async () => {
      const now = await udpReceiveQueueDrops(ns);
      if (now !== last) [last, changedAt] = [now, Date.now()];
      return Date.now() - changedAt >= o.quietMs ? now - since : undefined;
    },
    { timeoutMs: o.timeoutMs, intervalMs: 100, what: `${ns}'s UDP receive queues to stop dropping for ${o.quietMs} ms` },
  );
}
