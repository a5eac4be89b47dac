// DNS for the resolver tests, all inside the test's namespaces: a test root
// (BIND, authoritative for ".", DNSSEC-signed with a throwaway key) in the
// upstream namespace, the server's rendered unbound fragment run with test-only
// root hints and trust anchor pointing at it, and a tiny DNS client that runs in
// any namespace and reports the rcode, the AD bit and the addresses it got.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { inNs, runOk } from "./exec";
import { NET, Topology } from "./netns";
import { Daemon, startDaemon, waitForLine } from "./procs";
import type { VpnServer } from "./server";
import { namedConf } from "./named";

/** Names the test root serves (documentation addresses; a TLD of its own: unbound keeps .test local, RFC 6761). `bogus` has a signature that does not match. */
export const TEST_DNS = {
  good: "www.vpnlab",
  goodV4: "198.51.100.80",
  goodV6: "2001:db8:80::80",
  bogus: "bogus.vpnlab",
  bogusSigned: "198.51.100.66",
  bogusServed: "198.51.100.67",
} as const;

export interface TestRoot {
  daemon: Daemon;
  /** Root hints naming the test root (what unbound would otherwise compile in: the real root). */
  rootHints: string;
  /** The test root's KSK (DNSKEY), the trust anchor the test resolver uses instead of the real root's. */
  trustAnchorFile: string;
  stop(): Promise<void>;
}

/** A signed root zone served by named in the upstream namespace (v4 and v6). */
export async function startTestRoot(topology: Topology): Promise<TestRoot> {
  const dir = join(topology.dir, "test-root");
  mkdirSync(dir, { recursive: true });
  const zone = [
    "$TTL 300",
    ". IN SOA a.root-servers.vpnlab. hostmaster.vpnlab. 1 3600 600 86400 300",
    ". IN NS a.root-servers.vpnlab.",
    `a.root-servers.vpnlab. IN A ${NET.upstreamV4}`,
    `a.root-servers.vpnlab. IN AAAA ${NET.upstreamV6}`,
    `${TEST_DNS.good}. IN A ${TEST_DNS.goodV4}`,
    `${TEST_DNS.good}. IN AAAA ${TEST_DNS.goodV6}`,
    `${TEST_DNS.bogus}. IN A ${TEST_DNS.bogusSigned}`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "root.db"), zone);
  await runOk(["dnssec-keygen", "-q", "-K", dir, "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE", "."]);
  await runOk(["dnssec-keygen", "-q", "-K", dir, "-a", "ECDSAP256SHA256", "-n", "ZONE", "."]);
  // -d: the DS set goes next to the zone, not into the working directory (the repo).
  await runOk(["dnssec-signzone", "-q", "-S", "-K", dir, "-d", dir, "-o", ".", "-f", join(dir, "root.db.signed"), join(dir, "root.db")], { timeoutMs: 30_000 });
  // Served data that no longer matches its signature: a validating resolver must answer SERVFAIL.
  const signed = readFileSync(join(dir, "root.db.signed"), "utf8");
  const tampered = signed.replace(
    new RegExp(`(^${TEST_DNS.bogus.replace(/\./g, "\\.")}\\.\\s[^\\n]*\\sA\\s+)${TEST_DNS.bogusSigned.replace(/\./g, "\\.")}$`, "m"),
    `$1${TEST_DNS.bogusServed}`,
  );
  if (tampered === signed) throw new Error("could not find the bogus A record in the signed zone");
  writeFileSync(join(dir, "root.db.signed"), tampered);
  const ksk = readdirSync(dir).find((f) => f.endsWith(".key") && /DNSKEY\s+257\b/.test(readFileSync(join(dir, f), "utf8")));
  if (!ksk) throw new Error("no KSK written by dnssec-keygen");
  const conf = join(dir, "named.conf");
  writeFileSync(conf, namedConf({ dir, v4: [NET.upstreamV4], v6: [NET.upstreamV6], zones: [{ name: ".", file: join(dir, "root.db.signed") }] }));
  const rootHints = join(dir, "root.hints");
  writeFileSync(
    rootHints,
    `. 3600000 NS a.root-servers.vpnlab.\na.root-servers.vpnlab. 3600000 A ${NET.upstreamV4}\na.root-servers.vpnlab. 3600000 AAAA ${NET.upstreamV6}\n`,
  );
  const daemon = startDaemon(inNs(topology.upstream, ["/usr/sbin/named", "-g", "-c", conf]));
  await waitForLine(daemon, /all zones loaded|running$/m, 20_000, "the test root (named)");
  return { daemon, rootHints, trustAnchorFile: join(dir, ksk), stop: () => daemon.stop() };
}

/**
 * Runs unbound in the server namespace with the rendered fragment, plus test-only
 * plumbing: private paths, no chroot or user switch, and the test root instead of
 * the real one (root hints and trust anchor). Nothing else is added.
 */
export async function startResolver(server: VpnServer, root: TestRoot): Promise<Daemon> {
  const conf = join(server.dir, "unbound", "test-unbound.conf");
  writeFileSync(
    conf,
    [
      "# Test plumbing only; the rendered fragment is included below.",
      "server:",
      '  chroot: ""',
      '  username: ""',
      `  directory: "${join(server.dir, "unbound")}"`,
      '  pidfile: ""',
      "  use-syslog: no",
      '  logfile: ""',
      "  verbosity: 1",
      `  root-hints: "${root.rootHints}"`,
      `  trust-anchor-file: "${root.trustAnchorFile}"`,
      `include: "${server.unboundConf}"`,
      "remote-control:",
      "  control-enable: no",
      "",
    ].join("\n"),
  );
  await runOk(["unbound-checkconf", conf]);
  const d = startDaemon(inNs(server.ns, ["/usr/sbin/unbound", "-d", "-p", "-c", conf]));
  await waitForLine(d, /start of service/, 15_000, "unbound in the server namespace");
  return d;
}

// One query over UDP (optionally from a given source address): prints
// {"rcode":N,"ad":bool,"addrs":[...]} or {"error":"TIMEOUT"}. Written here rather
// than with node:dns, which hides the rcode and the AD bit.
const QUERY_JS = `
const dgram = require("dgram");
const [server, name, type, ms, source] = process.argv.slice(1);
const qtype = type === "AAAA" ? 28 : 1;
const labels = name.split(".").filter(Boolean);
const q = Buffer.concat([
  Buffer.from([0x12, 0x34, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]), // RD and AD: tell me whether it validated
  ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
  Buffer.from([0, 0, qtype, 0, 1]),
]);
const sock = dgram.createSocket(server.includes(":") ? "udp6" : "udp4");
const timer = setTimeout(() => { console.log(JSON.stringify({ error: "TIMEOUT" })); process.exit(0); }, Number(ms));
sock.on("error", (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(0); });
sock.on("message", (m) => {
  clearTimeout(timer);
  const flags = m.readUInt16BE(2), an = m.readUInt16BE(6);
  let o = 12;
  const skipName = () => { while (true) { const l = m[o]; if (l === 0) { o += 1; return; } if ((l & 0xc0) === 0xc0) { o += 2; return; } o += l + 1; } };
  skipName(); o += 4;
  const addrs = [];
  for (let i = 0; i < an; i++) {
    skipName();
    const t = m.readUInt16BE(o), len = m.readUInt16BE(o + 8);
    const rd = m.subarray(o + 10, o + 10 + len);
    if (t === 1) addrs.push([...rd].join("."));
    if (t === 28) addrs.push(rd.toString("hex").match(/.{4}/g).map((h) => h.replace(/^0+(?=.)/, "")).join(":"));
    o += 10 + len;
  }
  console.log(JSON.stringify({ rcode: flags & 0xf, ad: (flags & 0x20) !== 0, addrs }));
  process.exit(0);
});
const send = () => sock.send(q, 53, server);
if (source) sock.bind({ address: source }, send); else send();
`;

export interface DnsAnswer {
  /** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED; undefined when nothing came back. */
  rcode?: number;
  ad?: boolean;
  addrs?: string[];
  error?: string;
}

/** Asks `server` (port 53) for `name` from namespace `ns`. */
export async function query(
  ns: string,
  server: string,
  name: string,
  type: "A" | "AAAA" = "A",
  opts: { timeoutMs?: number; source?: string } = {},
): Promise<DnsAnswer> {
  const ms = opts.timeoutMs ?? 3000;
  const r = await runOk(inNs(ns, [process.execPath, "-e", QUERY_JS, server, name, type, String(ms), opts.source ?? ""]), { timeoutMs: ms + 10_000 });
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as DnsAnswer;
}

/** An IPv6 address in the form the query script prints (hex groups without leading zeros, no "::"). */
export function expandV6(a: string): string {
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}
