// "The Internet" behind the server: a TCP service in the upstream namespace that
// answers every connection with the source address it sees (so a test can tell
// NATed from routed traffic) and records every connection (so a test can prove
// that nothing arrived). Probes run a tiny Node client inside a namespace.
import { inNs, run, runOk } from "./exec";
import type { Topology } from "./netns";
import { Daemon, startDaemon, waitForLine } from "./procs";

/** Port of the upstream "who am I" service. */
export const WHOAMI_PORT = 8080;

// Listens on both families; one JSON line per connection on stdout.
const SERVER_JS = `
const net = require("net");
const port = Number(process.argv[1]);
const srv = net.createServer((s) => {
  s.on("error", () => undefined); // a peer that resets must not take the service down
  const from = String(s.remoteAddress).replace(/^::ffff:/, "");
  console.log(JSON.stringify({ from }));
  s.end(from + "\\n");
});
srv.on("error", (e) => { console.log("server error " + e.message); process.exit(1); });
srv.listen({ port, host: "::", ipv6Only: false }, () => console.log("listening"));
`;

// Connects, prints what the server says, or ERR <code> on failure/timeout.
const PROBE_JS = `
const net = require("net");
const [host, port, ms, source] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), localAddress: source || undefined });
let out = "";
const timer = setTimeout(() => { console.log("ERR TIMEOUT"); process.exit(0); }, Number(ms));
s.on("data", (d) => (out += d));
s.on("end", () => { clearTimeout(timer); console.log(out.trim()); process.exit(0); });
s.on("error", (e) => { clearTimeout(timer); console.log("ERR " + e.code); process.exit(0); });
`;

export class WhoamiServer {
  constructor(readonly daemon: Daemon) {}

  /** Source addresses of every connection accepted so far. */
  connections(): string[] {
    return this.daemon.output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => (JSON.parse(l) as { from: string }).from);
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}

export async function startWhoami(topology: Topology, port = WHOAMI_PORT): Promise<WhoamiServer> {
  return startWhoamiIn(topology.upstream, port);
}

/** The same service in any namespace (a client's, the server's), e.g. to see whether a port is reachable. */
export async function startWhoamiIn(ns: string, port = WHOAMI_PORT): Promise<WhoamiServer> {
  const d = startDaemon(inNs(ns, [process.execPath, "-e", SERVER_JS, String(port)]));
  await waitForLine(d, /^listening$/, 10_000, `the whoami service in ${ns}`);
  return new WhoamiServer(d);
}

/**
 * Counts, in the upstream namespace before anything else sees them, the packets
 * that would prove traffic got through: TCP to the whoami port and ICMP echo
 * requests, per family. Zero means nothing reached the upstream.
 */
export class UpstreamWatch {
  constructor(readonly topology: Topology) {}

  async install(): Promise<void> {
    const rules = [
      "table inet e2e_watch {",
      "  chain pre {",
      "    type filter hook prerouting priority -400; policy accept;",
      `    meta nfproto ipv4 tcp dport ${WHOAMI_PORT} counter`,
      `    meta nfproto ipv6 tcp dport ${WHOAMI_PORT} counter`,
      "    icmp type echo-request counter",
      "    icmpv6 type echo-request counter",
      "  }",
      "}",
      "",
    ].join("\n");
    await runOk(inNs(this.topology.upstream, ["nft", "-f", "-"]), { input: rules });
  }

  /** Packets counted so far: [tcp v4, tcp v6, ping v4, ping v6]. */
  async counts(): Promise<{ tcp4: number; tcp6: number; ping4: number; ping6: number }> {
    const res = await runOk(inNs(this.topology.upstream, ["nft", "-j", "list", "table", "inet", "e2e_watch"]));
    const packets = (JSON.parse(res.stdout).nftables as Array<Record<string, any>>)
      .filter((o) => o.rule)
      .map((o) => (o.rule.expr as Array<Record<string, any>>).find((e) => e.counter)!.counter.packets as number);
    return { tcp4: packets[0], tcp6: packets[1], ping4: packets[2], ping6: packets[3] };
  }

  async total(): Promise<number> {
    const c = await this.counts();
    return c.tcp4 + c.tcp6 + c.ping4 + c.ping6;
  }
}

export interface ProbeResult {
  ok: boolean;
  /** The address the upstream saw, or the error code (ECONNREFUSED, TIMEOUT, ...). */
  answer: string;
}

/** Opens a TCP connection from namespace `ns` (optionally from a given source address). */
export async function probeTcp(ns: string, host: string, opts: { port?: number; timeoutMs?: number; source?: string } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const res = await run(inNs(ns, [process.execPath, "-e", PROBE_JS, host, String(opts.port ?? WHOAMI_PORT), String(timeoutMs), opts.source ?? ""]), {
    timeoutMs: timeoutMs + 10_000,
  });
  const line = res.stdout.trim().split("\n").pop() ?? "";
  if (res.code !== 0 || line === "") return { ok: false, answer: `probe failed: ${res.stderr.trim()}` };
  return line.startsWith("ERR ") ? { ok: false, answer: line.slice(4) } : { ok: true, answer: line };
}

/** One ICMP echo from `ns` to `host`; true when answered within `timeoutSec`. */
export async function ping(ns: string, host: string, timeoutSec = 2): Promise<boolean> {
  const res = await run(inNs(ns, ["ping", "-n", "-q", "-c", "1", "-W", String(timeoutSec), host]), { timeoutMs: (timeoutSec + 5) * 1000 });
  return res.code === 0;
}
