// npm run bench (root): figures for the rendered server on this machine, not a
// test (nothing is asserted, it only prints); `npm run bench -- --engine` prints only
// the engine tier's recorded figures (5. below). In one run:
//  1. single-stream TCP throughput (iperf3, a few seconds each way) from a client
//     to the upstream namespace through the tunnel, for the default suite and the
//     legacy (stock Windows) suite, against the same path without the tunnel;
//  2. how long N clients (N = 10, 50, 100), each its own namespace and charon,
//     take to connect when they all start at once, and the server's memory.
//  3. IKE floods (spoofed and cookie-echoing IKE_SA_INIT from 250 addresses): the
//     flood rate, a new client's setup time with and without flood, charon's CPU
//     (utime + stime from /proc) and peak RSS.
//  4. the user lifecycle: login latency through FreeRADIUS against charon's own
//     check (100 logins each), memory, one enforce run (bench/aaa.ts);
//  5. the engine tier's recorded figures (the real CLI, test/engine/lib/figures.ts),
//     with the share of the first up that the new server's upgrade takes, and why.
// It says which ESP backend it measured (kernel XFRM or kernel-libipsec).
// Traffic goes only to the namespaces it creates; everything is removed at the end.
import { cpus } from "node:os";
import { CLIENT_SUITES, clientEspString, clientIkeString } from "../model/proposals";
import type { VpnClient } from "../test/lib/client";
import { detectEspBackend } from "../test/lib/esp";
import { inNs, run, runOk } from "../test/lib/exec";
import type { FixtureUser } from "../test/lib/fixture";
import { NET } from "../test/lib/netns";
import { startDaemon, waitForLine } from "../test/lib/procs";
import { createVpn, Vpn } from "../test/lib/vpn";
import { waitFor } from "../test/lib/wait";
import { formatFigures, formatPhaseLines, readFigures, UPGRADE_FIGURE } from "../test/engine/lib/figures";
import { addFlooder, cpuSeconds, floodUnderWay, sampleMax, startFlood } from "../test/lib/flood";
import type { FloodOptions } from "../test/lib/ikeflood";
import { lifecycleFigures, LOGINS } from "./aaa";
import { setupTimes } from "./setups";

const IPERF_SECONDS = 3;
const IPERF_PORT = "5201";
const CLIENT_COUNTS = [10, 50, 100];
/** Client hosts started in parallel while preparing the connection-rate round. */
const PREPARE_PARALLEL = 8;

const SUITES = [
  {
    name: "default (our profiles' suite)",
    ike: clientIkeString(CLIENT_SUITES.strongswan),
    esp: clientEspString(CLIENT_SUITES.strongswan),
  },
  {
    name: "legacy (stock Windows, vpn:compat = legacy)",
    ike: "3des-aes128-aes192-aes256-sha1-sha256-sha384-modp1024",
    esp: "aes256-aes128-3des-sha1",
  },
];

function gbit(bps: number): string {
  return `${(bps / 1e9).toFixed(2)} Gbit/s`;
}

/** One single-stream iperf3 run from `ns` to the upstream; bits/s received. */
async function iperf(ns: string, reverse: boolean): Promise<number> {
  const res = await runOk(inNs(ns, ["iperf3", "-c", NET.upstreamV4, "-p", IPERF_PORT, "-t", String(IPERF_SECONDS), "-J", ...(reverse ? ["-R"] : [])]), {
    timeoutMs: (IPERF_SECONDS + 30) * 1000,
  });
  return (JSON.parse(res.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
}

async function throughput(): Promise<void> {
  const user: FixtureUser = { name: "bench", password: "bench-throughput-passw0rd" };
  const vpn = await createVpn({ users: [user], compat: "legacy" });
  try {
    const server = startDaemon(inNs(vpn.topology.upstream, ["iperf3", "-s", "-p", IPERF_PORT, "--forceflush"]));
    await waitForLine(server, /Server listening/, 10_000, "iperf3 server");

    // The same path without the tunnel: a host routing via the server, let through
    // by one bench-only rule on top of the rendered ruleset (which drops it).
    const plain = await vpn.topology.addClientHost();
    await runOk(inNs(vpn.topology.server, ["nft", "insert", "rule", "inet", "vpn", "forward", "ip", "saddr", plain.v4, "accept"]));
    const base = { up: await iperf(plain.ns, false), down: await iperf(plain.ns, true) };
    console.log(`  without tunnel        up ${gbit(base.up)}, down ${gbit(base.down)}`);

    for (const suite of SUITES) {
      const c = await vpn.connect({ user: user.name, password: user.password, ike: suite.ike, esp: suite.esp });
      const sa = await c.ikeSa();
      const child = sa!.children[0];
      const esp = [child.encrAlg && `${child.encrAlg}-${child.encrKeysize}`, child.integAlg].filter(Boolean).join("/");
      const up = await iperf(c.ns, false);
      const down = await iperf(c.ns, true);
      console.log(`  ${suite.name}`);
      console.log(`    negotiated IKE ${sa!.encrAlg}-${sa!.encrKeysize}/${sa!.integAlg ?? sa!.prfAlg}/${sa!.dhGroup}, ESP ${esp}`);
      console.log(`    up ${gbit(up)} (${((100 * up) / base.up).toFixed(1)} % of no tunnel), down ${gbit(down)} (${((100 * down) / base.down).toFixed(1)} %)`);
      await vpn.drop(c);
    }
    await server.stop();
  } finally {
    await vpn.teardown();
  }
}

async function prepareClients(vpn: Vpn, users: FixtureUser[]): Promise<VpnClient[]> {
  const clients = new Array<VpnClient>(users.length);
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const i = next++;
      clients[i] = await vpn.client({ user: users[i].name, password: users[i].password, identity: users[i].name });
    }
  };
  await Promise.all(Array.from({ length: PREPARE_PARALLEL }, worker));
  return clients;
}

async function established(vpn: Vpn): Promise<number> {
  return (await vpn.server.listSas()).filter((s) => s.state === "ESTABLISHED" && s.children.some((c) => c.state === "INSTALLED")).length;
}

async function connectionRate(): Promise<void> {
  const max = Math.max(...CLIENT_COUNTS);
  const users: FixtureUser[] = Array.from({ length: max }, (_, i) => ({ name: `user${i + 1}`, password: `bench-user-${i + 1}-passw0rd` }));
  const vpn = await createVpn({ users });
  try {
    const t0 = Date.now();
    const clients = await prepareClients(vpn, users);
    console.log(`  (${max} client namespaces with their own charon prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    console.log(`  server charon RSS idle: ${(vpn.server.memoryKiB() / 1024).toFixed(1)} MiB`);
    for (const n of CLIENT_COUNTS) {
      const batch = clients.slice(0, n);
      const start = Date.now();
      const results = await Promise.all(batch.map((c) => c.connect(60)));
      const seconds = (Date.now() - start) / 1000;
      const ok = results.filter((r) => r.ok).length;
      const onServer = await established(vpn);
      console.log(
        `  N = ${String(n).padStart(3)}: all connected in ${seconds.toFixed(2)} s (${ok}/${n} ok, ${onServer} SAs on the server), ` +
          `server RSS ${(vpn.server.memoryKiB() / 1024).toFixed(1)} MiB`,
      );
      await Promise.all(batch.map((c) => c.disconnect()));
      await waitFor(async () => (await established(vpn)) === 0, { timeoutMs: 60_000, what: "all SAs gone before the next round" });
    }
  } finally {
    await vpn.teardown();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("npm run bench needs root (network namespaces)");
  const esp = await detectEspBackend();
  const version = (await run(["dpkg-query", "-W", "-f=${Version}", "charon-systemd"])).stdout.trim() || "unknown";
  console.log(`ESP backend measured: ${esp === "kernel" ? "kernel (XFRM)" : "kernel-libipsec (userspace ESP over TUN; this kernel has no ESP)"}`);
  console.log(`strongSwan (charon-systemd) ${version}; ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"})`);
  console.log(`\nSingle-stream TCP throughput, client -> server -> upstream (iperf3 -t ${IPERF_SECONDS}):`);
  await throughput();
  console.log(`\nSimultaneous clients (each its own namespace + charon, same machine as the server):`);
  await connectionRate();
  console.log(
    `\nIKE floods (${FLOOD.rate} and ${4 * FLOOD.rate} IKE_SA_INIT/s for ${FLOOD.seconds} s from ${FLOOD.sources} addresses; test/e2e/flood.test.ts asserts the bounds):`,
  );
  await floodFigures();
  console.log(`\nThe user lifecycle (docs/lifecycle.md): ${LOGINS} logins one after another, each way:`);
  await lifecycleFigures();
  engineFigures();
}

const FLOOD = { sources: 250, rate: 5000, seconds: 10, setups: 3 };

const msList = (t: number[]) => t.map((x) => (Number.isNaN(x) ? "failed" : `${x} ms`)).join(", ");

async function floodFigures(): Promise<void> {
  const user: FixtureUser = { name: "floodbench", password: "flood-bench-passw0rd" };
  const vpn = await createVpn({ users: [user] });
  try {
    const flooder = await addFlooder(vpn.topology, FLOOD.sources);
    console.log(
      `  new client setup, no flood: ${msList(await setupTimes(vpn, user, FLOOD.setups))}; charon RSS ${(vpn.server.memoryKiB() / 1024).toFixed(1)} MiB`,
    );
    const floods: { kind: FloodOptions["kind"]; rate: number }[] = [
      { kind: "spoofed", rate: FLOOD.rate },
      { kind: "cookie-echo", rate: FLOOD.rate },
      { kind: "cookie-echo", rate: 4 * FLOOD.rate },
    ];
    for (const { kind, rate } of floods) {
      const pid = vpn.server.pid;
      const cpu0 = cpuSeconds(pid);
      const rss = sampleMax(() => vpn.server.memoryKiB());
      const run = startFlood(flooder, { kind, rate, seconds: FLOOD.seconds });
      await floodUnderWay(run.daemon, kind);
      const times = await setupTimes(vpn, user, FLOOD.setups);
      const r = await run.result;
      const cpu = cpuSeconds(pid) - cpu0;
      const maxRss = rss.stop();
      console.log(
        `  ${kind}: ${r.sent} IKE_SA_INIT in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.achievedRate}/s), ${r.cookies} COOKIE replies, ${r.echoes} echoed, ${r.dhResponses} DH responses`,
      );
      console.log(
        `    new client setup during it: ${msList(times)}; charon CPU ${((100 * cpu) / (r.elapsedMs / 1000)).toFixed(0)} % of a core, max RSS ${(maxRss / 1024).toFixed(1)} MiB`,
      );
    }
  } finally {
    await vpn.teardown();
  }
}

/**
 * The sandbox commands as a user runs them (`pulumi preview`; `pulumi up --yes` with its
 * preview), on 2 cores: the targets, and what they measured before the program was
 * transpiled with swc and rDNS ran beside the last steps (the same tier, 2026-12-07).
 */
const ENGINE_TARGETS: { label: string; targetS: number; before: string }[] = [
  { label: "preview", targetS: 5, before: "10.1 s" },
  { label: "first up until connected", targetS: 25, before: "37.2 s with --skip-preview; the README's up with its preview 41.5 s" },
  { label: "no-op up", targetS: 5, before: "21.1 s" },
  { label: "user-add up", targetS: 8, before: "12.1 s with --skip-preview" },
  { label: "destroy", targetS: 5, before: "4.2-8.7 s" },
];

/**
 * Where the remaining time goes, per phase (the event log's phases printed above; a
 * no-op `up` runs the program twice, once for its preview and once for the update).
 */
const ENGINE_GAPS = [
  "each program run: CLI and language host ~0.5 s, loading @pulumi/pulumi ~1.1 s in the host and again in the dynamic-provider host, the Linode plugin's start and the region/image invokes ~0.9 s, serializing the ACME provider's closure ~0.5 s; the type check (~3 s with TypeScript's transpiler) is gone (tsconfig.program.json: noCheck + swc)",
  "first up: 02-install-packages also installs the new server's pending updates first (see the share below); without them it was 14-18 s of apt on the instance (update ~3 s, download ~1.5 s, dpkg unpack/configure and the services' first start ~10 s; dpkg --force-unsafe-io saved nothing, apt without translation indexes about 0.5 s of the update), the instance's boot 4-6 s, apply ~3 s: the install is the floor of the 25 s target",
  "rDNS (5 s: the provider's first attempt waits for a 5 s tick) now runs beside push-files and apply instead of after them",
  "no-op and user-add up: `pulumi up` runs the program twice (for its preview, then for the update), about 5 s each as above; a user change then adds push-files ~1 s and apply ~3 s",
  "destroy: its preview starts the plugins (~2 s, the program is not run), then the Linode instance's delete and its event polling ~2 s",
];

/** The real CLI's wall times, as the engine tier last recorded them (npm run test:engine). Also on its own: `npm run bench -- --engine`. */
export function engineFigures(): void {
  const figures = readFigures();
  console.log(`\nReal pulumi CLI against the local Linode world (from the last npm run test:engine):`);
  if (figures.length === 0) console.log("  none recorded: run npm run test:engine first (it needs the Pulumi CLI)");
  for (const f of figures) {
    console.log(`  ${f.flow} (${f.at}, pulumi ${f.pulumi ?? "?"}): ${formatFigures(f)}`);
    for (const line of formatPhaseLines(f, "    ")) console.log(line);
  }
  const vpn = figures.find((f) => f.flow === "vpn");
  if (!vpn) return;
  console.log("  targets (as a user runs the commands):");
  for (const t of ENGINE_TARGETS) {
    const ms = vpn.timings[t.label];
    const now = ms === undefined ? "not measured" : `${(ms / 1000).toFixed(1)} s`;
    const verdict = ms === undefined ? "" : ms <= t.targetS * 1000 ? "met" : `over by ${(ms / 1000 - t.targetS).toFixed(1)} s`;
    console.log(`    ${t.label}: ${now} (target ${t.targetS} s; before: ${t.before}) ${verdict}`);
  }
  console.log("  where the rest goes:");
  for (const g of ENGINE_GAPS) console.log(`    - ${g}`);
  const upgrade = vpn.timings[UPGRADE_FIGURE];
  const firstUp = vpn.timings["first up until connected"];
  if (upgrade !== undefined && firstUp !== undefined) {
    console.log(
      `  the new server's upgrade (first provisioning and VM replacement only): ${(upgrade / 1000).toFixed(0)} s of the first up's ${(firstUp / 1000).toFixed(1)} s ` +
        `(${((100 * upgrade) / firstUp).toFixed(0)} %). ${UPGRADE_WHY}`,
    );
  }
}

/**
 * Why the first up pays for the upgrade. The 25 s target predates it and leaves it out; later ups never pay it.
 * Measured 2026-12-07 on this 2-core machine while other tiers ran beside it (so dpkg's share is high):
 * hosts tier container (test/hosts/upgrade.test.ts): 25 updates in 69 s of install-packages' 85 s (115 s of 136 s under heavier load);
 * engine tier first up: 25 updates in 131 s (lists 10 s, download 5 s, dpkg 116 s) of 224 s until connected;
 * qemu VM without KVM (vm.test.ts): 26 updates in 1054 s, dpkg 949 s (TCG emulation, not a figure for a real VM).
 * Most of dpkg's time is python3.11's byte-compilation and ca-certificates' rehash.
 */
const UPGRADE_WHY =
  "Worth it: an image lags behind Debian's security archive (25 security updates on ours: apt, ca-certificates, libexpat1, liblzma5, libpam-modules, libssl3/openssl, perl-base, python3.11, tzdata, zlib1g, ...), " +
  "and the first unattended upgrade comes in the next maintenance window, up to a day later: without this a new VPN server would serve users with known-vulnerable " +
  "packages until then. It is paid once per VM (first provisioning and replacement; later ups, user changes included, never wait on apt), its downloads are bounded, " +
  "and a reboot an update asks for is taken before anyone connects. The hosts tier's container took 69-115 s for the same 25 updates, its qemu VM (TCG) 1054 s.";

// `--engine`: only the engine figures (they need no namespace and no root).
const entry = process.argv.includes("--engine") ? async () => engineFigures() : main;
entry().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
