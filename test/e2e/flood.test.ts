// IKE under attack: two floods of IKE_SA_INIT, each a fixed count at a
// fixed rate from 250 source addresses, only inside this test's namespaces, against
// the rendered server (charon's DoS settings, nftables' per-source limits):
//  (a) spoofed-style: never answers the COOKIE;
//  (b) cookie-echo: answers it, so charon creates the IKE_SA and does the DH work.
// and the cookie-echo flood again at 20,000/s (faster than the per-source limit: the new
// clients come once each source's burst is spent). During each: legitimate new clients connect
// within 1 s (the median of three), charon stays under 100 MB, and a tunnel established
// before the flood passes traffic and rekeys (IKE and CHILD).
// The figures (setup time with and without flood, CPU, memory) are in npm run bench.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VpnClient } from "../lib/client";
import type { FixtureUser } from "../lib/fixture";
import { addFlooder, cpuSeconds, Flooder, floodUnderWay, receiveQueuesKeepUp, sampleMax, startFlood, udpReceiveQueueDrops } from "../lib/flood";
import type { FloodOptions } from "../lib/ikeflood";
import { IKE_RATE_LIMIT } from "../../model/server/dos";
import { NET } from "../lib/netns";
import { swanctl } from "../lib/swanctl";
import { ping } from "../lib/upstream";
import { createVpn, Vpn } from "../lib/vpn";
import { waitFor } from "../lib/wait";

const TUNNEL: FixtureUser = { name: "steady", password: "steady-tunnel-passw0rd" };
const NEWCOMER: FixtureUser = { name: "newcomer", password: "newcomer-passw0rd-1" };
const SOURCES = 250;
const RATE = 5000;
const SECONDS = 15;
/**
 * New clients connected one after another during each flood; the bound is on their median.
 * Now and then one exchange is lost (seen at 5,000/s on 2 shared cores with no receive-queue
 * drop on the server; the cause is not pinned down) and that client waits for strongSwan's
 * 4 s retransmit: the bound is about the server's service, which one such loss does not
 * disprove and two of three would.
 */
const NEWCOMERS = 3;
/** The issue's bounds. */
const SETUP_BOUND_MS = 1000;
const RSS_BOUND_KIB = 100 * 1024;

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const childSas = (c: VpnClient) => new Set([...c.log().matchAll(/CHILD_SA vpn\{(\d+)\} established/g)].map((m) => m[1])).size;
const ikeRekeys = (c: VpnClient) => count(c.log(), /IKE_SA vpn\[\d+\] rekeyed between/g);

describe("IKE floods: legitimate clients are served, tunnels keep working", { timeout: 300_000 }, () => {
  let vpn: Vpn;
  let flooder: Flooder;
  let steady: VpnClient;

  before(async () => {
    vpn = await createVpn({ users: [TUNNEL, NEWCOMER] });
    flooder = await addFlooder(vpn.topology, SOURCES);
    steady = await vpn.connect({ user: TUNNEL.name, password: TUNNEL.password, identity: TUNNEL.name });
    assert.ok(await ping(steady.ns, NET.upstreamV4), "the tunnel passes traffic before any flood");
  });

  after(async () => {
    await vpn?.teardown();
  });

  // The issue's two floods at 5,000/s, and the cookie-echo flood at 20,000/s: there the
  // per-source limits bind, and strongSwan 5.9.8's defaults (no rendered DoS settings,
  // no nftables limits) took 4 s to set up a new client here (2 vCPUs, kernel-libipsec).
  const cases: { kind: FloodOptions["kind"]; rate: number }[] = [
    { kind: "spoofed", rate: RATE },
    { kind: "cookie-echo", rate: RATE },
    { kind: "cookie-echo", rate: 4 * RATE },
  ];
  for (const { kind, rate } of cases) {
    it(`(${kind}) ${rate} IKE_SA_INIT/s for ${SECONDS} s from ${SOURCES} addresses: new clients connect within 1 s (median of ${NEWCOMERS}), charon < 100 MB, the tunnel passes traffic and rekeys`, async () => {
      const pid = vpn.server.pid;
      const cpu0 = cpuSeconds(pid);
      const rss = sampleMax(() => vpn.server.memoryKiB());
      const drops0 = await udpReceiveQueueDrops(vpn.server.ns);
      const run = startFlood(flooder, { kind, rate, seconds: SECONDS });
      const floodStart = Date.now();
      try {
        await floodUnderWay(run.daemon, kind);
        // Faster than the per-source limit, each source's nftables burst passes at once in the first
        // seconds: charon's receive queue overflows and drops datagrams, a new client's among them
        // (it retransmits after strongSwan's 4 s). The bound holds once the bursts are spent.
        let burstDrops = 0;
        if (rate / SOURCES > IKE_RATE_LIMIT.perSecond) burstDrops = await receiveQueuesKeepUp(vpn.server.ns, drops0, { quietMs: 500, timeoutMs: 8000 });
        const settledMs = Date.now() - floodStart;

        const dropsBefore = await udpReceiveQueueDrops(vpn.server.ns);
        const setups: number[] = [];
        for (let i = 0; i < NEWCOMERS; i++) {
          const newcomer = await vpn.client({ user: NEWCOMER.name, password: NEWCOMER.password, identity: NEWCOMER.name });
          const setup = await newcomer.connect(10);
          assert.ok(setup.ok, `new client ${i + 1} connects during the flood:\n${setup.output.slice(-3000)}`);
          setups.push(setup.ms);
          await vpn.drop(newcomer);
        }
        const newcomerDrops = (await udpReceiveQueueDrops(vpn.server.ns)) - dropsBefore;
        const median = [...setups].sort((a, b) => a - b)[Math.floor(NEWCOMERS / 2)];

        assert.ok(await ping(steady.ns, NET.upstreamV4), "the established tunnel passes traffic during the flood");
        const children = childSas(steady),
          rekeys = ikeRekeys(steady);
        const rekeyIke = await swanctl(steady, ["--rekey", "--ike", "vpn"], 15_000);
        assert.equal(rekeyIke.code, 0, rekeyIke.stdout + rekeyIke.stderr);
        await waitFor(() => ikeRekeys(steady) > rekeys, { timeoutMs: 10_000, what: `the IKE_SA rekeyed during the flood\n${steady.log().slice(-2000)}` });
        const rekeyChild = await swanctl(steady, ["--rekey", "--child", "vpn"], 15_000);
        assert.equal(rekeyChild.code, 0, rekeyChild.stdout + rekeyChild.stderr);
        await waitFor(() => childSas(steady) > children, { timeoutMs: 10_000, what: `the CHILD_SA rekeyed during the flood\n${steady.log().slice(-2000)}` });
        assert.ok(await ping(steady.ns, NET.upstreamV4), "the rekeyed tunnel passes traffic during the flood");
        const stillFlooding = run.daemon.running;

        const result = await run.result;
        const maxRss = rss.stop();
        const cpu = cpuSeconds(pid) - cpu0;
        console.log(
          `# ${kind} at ${rate}/s: flood ${JSON.stringify(result)}; new clients set up in ${setups.join(", ")} ms (receive-queue drops meanwhile: ${newcomerDrops})${burstDrops ? `, from ${settledMs} ms into the flood (before, the full receive queue dropped ${burstDrops} datagrams)` : ""}; charon max RSS ${(maxRss / 1024).toFixed(1)} MiB, ` +
            `CPU ${cpu.toFixed(1)} s over ${(result.elapsedMs / 1000).toFixed(1)} s`,
        );
        // The flood was what it claims: the fixed count sent in about the fixed time, answered by charon.
        assert.equal(result.sent, rate * SECONDS);
        assert.ok(result.elapsedMs < (SECONDS + 1.5) * 1000, `sent in ${result.elapsedMs} ms`);
        assert.ok(stillFlooding, "the checks ran while the flood was on");
        assert.ok(result.cookies > 0, "charon asked the flood for COOKIEs");
        if (kind === "cookie-echo") assert.ok(result.echoes > 0 && result.dhResponses > 0, "charon did DH work for the echoed COOKIEs");
        assert.ok(
          median <= SETUP_BOUND_MS,
          `new clients connected in ${setups.join(", ")} ms during the ${kind} flood (bound ${SETUP_BOUND_MS} ms on the median)`,
        );
        assert.ok(maxRss < RSS_BOUND_KIB, `charon's RSS peaked at ${maxRss} KiB (bound ${RSS_BOUND_KIB})`);
      } finally {
        rss.stop();
        await run.daemon.stop();
      }
    });
  }

  it("one address sending 2,000 IKE_SA_INIT/s for 2 s: nftables lets through about its burst plus its rate, no more", async () => {
    const { perSecond, burst } = IKE_RATE_LIMIT;
    const run = startFlood({ ...flooder, sources: flooder.sources.slice(0, 1) }, { kind: "spoofed", rate: 2000, seconds: 2 });
    const r = await run.result;
    const allowed = burst + perSecond * Math.ceil(r.elapsedMs / 1000 + 1);
    console.log(`# one source: ${JSON.stringify(r)}; allowed at most ${allowed}`);
    assert.equal(r.sent, 4000);
    const answered = r.cookies + r.dhResponses + r.otherReplies;
    assert.ok(answered > 0, "the first packets reach charon");
    assert.ok(answered <= allowed, `${answered} IKE_SA_INIT got an answer from one address (limit ${perSecond}/s, burst ${burst})`);
  });
});
