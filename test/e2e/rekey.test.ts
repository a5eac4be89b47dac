// The rekey policy (model/rekey.ts) with real charons: clients configured with exactly the suites
// of the rendered Apple, Windows, Android and Linux swanctl profiles (read back from the files)
// rekey their CHILD and IKE SAs several times while traffic flows, the server only responds
// (it never sends a CREATE_CHILD_SA request and schedules no rekey), and a client that never
// rekeys loses its CHILD_SA at the server's hard lifetime, not before.
//
// Times are shortened for the test only: the server's rendered swanctl.conf is rewritten in the
// harness's copy (test/lib/lifetimes.ts, each line marked `test-only`); the emulated clients get
// second-long rekey times in their generated configs (ClientSpec.rekey). Production files keep
// the policy's hours (test/unit/rekey.test.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { renderProfiles } from "../../model/profiles";
import { plist } from "../../model/profiles/plist";
import { androidSuite, appleSuite, ReadSuite, windowsSuite } from "../lib/readback";
import { PATHS } from "../../model/server/files";
import type { VpnClient } from "../lib/client";
import { DNS_SERVERS, FixtureUser, HOSTNAME, POOL_V4, renderFixture, ZONE } from "../lib/fixture";
import { TEST_ONLY_MARKER, withShortServerLifetimes } from "../lib/lifetimes";
import { createTopology, NET } from "../lib/netns";
import { createPki } from "../lib/pki";
import { startServer } from "../lib/server";
import { ping, startWhoami } from "../lib/upstream";
import { Vpn } from "../lib/vpn";
import { waitFor } from "../lib/wait";

const USER: FixtureUser = { name: "rekeyer", password: "rekey-tester-passw0rd" };

/** Test-only times (seconds). The server's CHILD hard lifetime is longer than every client's rekey interval, as in production. */
const SERVER_CHILD_LIFE = 20;
const CLIENT_REKEY = { ike: "7s", ikeOver: "60s", child: "3s", childLife: "60s" };
/** Rekeys of each kind every emulated client must complete, with traffic flowing. */
const MIN_REKEYS = 3;

function profilesFor(user: FixtureUser) {
  const config = validateConfig({
    "vpn:zone": ZONE,
    "vpn:hostname": HOSTNAME,
    "vpn:users": [user.name],
    "vpn:passwords": { [user.name]: user.password },
    "vpn:dnsServers": [...DNS_SERVERS],
    "vpn:poolV4": POOL_V4,
  });
  const set = renderProfiles({ stack: "e2e", config, passwords: config.passwords })[user.name];
  return set[Object.keys(set)[0]];
}

/** The Linux swanctl profile's own proposals (the first CHILD_SA drops the DH group, as strongSwan does in IKE_AUTH). */
function swanctlSuite(conf: string): ReadSuite {
  const ike = /^ {4}proposals = (\S+)$/m.exec(conf)?.[1];
  const esp = /^ {8}esp_proposals = (\S+)$/m.exec(conf)?.[1];
  assert.ok(ike && esp, "proposals in the swanctl profile");
  return { ike, esp: esp.replace(/-(curve25519|ecp\d+|modp\d+)$/, ""), espPfs: esp };
}

interface Emulated {
  platform: string;
  suite: ReadSuite;
  /** IKE identity; undefined = the client's IP address (Windows). */
  identity?: string;
}

function emulatedPlatforms(): Emulated[] {
  const p = profilesFor(USER);
  const apple = (plist.parse(p.apple) as any).PayloadContent[0].IKEv2;
  const android = JSON.parse(p.android);
  return [
    { platform: "Apple .mobileconfig", suite: appleSuite(apple), identity: apple.LocalIdentifier },
    { platform: "Windows PowerShell", suite: windowsSuite(p.windows) },
    { platform: "Android .sswan", suite: androidSuite(android), identity: android.local.eap_id },
    { platform: "Linux swanctl", suite: swanctlSuite(p.linuxSwanctl), identity: USER.name },
  ];
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
/** Rekeys a client completed, from its own log (strongSwan logs these at level 0). */
function rekeysDone(c: VpnClient): { ike: number; child: number } {
  const log = c.log();
  // strongSwan 5.9.8 logs a rekeyed CHILD_SA twice (inbound, then outbound): count distinct ids.
  const children = new Set([...log.matchAll(/CHILD_SA vpn\{(\d+)\} established/g)].map((m) => m[1]));
  return { ike: count(log, /IKE_SA vpn\[\d+\] rekeyed between/g), child: Math.max(0, children.size - 1) };
}

/** strongSwan's name for a DH group as listed by swanctl (ecp384 -> ECP_384). */
const viciDh = (swan: string) => swan.replace(/^(curve|ecp|modp)(\d+)$/, (_m, a: string, n: string) => `${a.toUpperCase()}_${n}`);

describe("rekeying: the clients rekey, the server never does, and a client that never rekeys is cut at the hard lifetime", { timeout: 240_000 }, () => {
  let vpn: Vpn;

  before(async () => {
    const topology = await createTopology();
    try {
      const pki = await createPki(join(topology.dir, "pki"), HOSTNAME);
      const render = renderFixture({ topology, pki, users: [USER] });
      const files = withShortServerLifetimes(render.files, SERVER_CHILD_LIFE);
      const server = await startServer(topology, { files });
      vpn = new Vpn(topology, pki, render, server, [USER]);
      vpn.whoami = await startWhoami(topology);
    } catch (err) {
      await topology.teardown();
      throw err;
    }
  });

  after(async () => {
    await vpn?.teardown();
  });

  it("runs with the shortened, visibly marked server lifetime (and the production render has none of it)", () => {
    const onDisk = readFileSync(join(vpn.server.swanctlDir, "swanctl.conf"), "utf8");
    assert.ok(onDisk.includes(TEST_ONLY_MARKER));
    assert.match(onDisk, new RegExp(`life_time = ${SERVER_CHILD_LIFE}s`));
    const production = vpn.render.files.find((f) => f.path === PATHS.swanctlConf)!.content;
    assert.ok(!production.includes("test-only"));
    assert.match(production, /^ {8}rekey_time = 0s$/m);
  });

  it("every emulated platform rekeys CHILD and IKE SAs several times with traffic flowing, past the server's hard lifetime; the server initiates nothing; a non-rekeying client is cut at the hard lifetime, not before", async () => {
    const platforms = emulatedPlatforms();
    const started = Date.now();
    const clients = await Promise.all(
      platforms.map((p) =>
        // The rekey proposal carries the platform's PFS group; strongSwan drops it for the first CHILD_SA.
        vpn.connect({
          user: USER.name,
          password: USER.password,
          identity: p.identity,
          ike: p.suite.ike,
          esp: p.suite.espPfs ?? p.suite.esp,
          rekey: CLIENT_REKEY,
        }),
      ),
    );
    // A client that never rekeys anything (both rekey times 0, no client-side lifetimes).
    const lazy = await vpn.connect({ user: USER.name, password: USER.password, identity: USER.name, rekey: { ike: "0s", child: "0s" } });
    const lazyUp = Date.now();
    const childIds = async (c: VpnClient) => Object.keys(((await c.ikeSa())?.raw["child-sas"] ?? {}) as object);
    const [lazyChild] = await childIds(lazy);
    assert.ok(lazyChild, "the non-rekeying client has a CHILD_SA");
    // Its IKE_SA on the server (it never rekeys, so the name stays): charon logs it as <rw|id>.
    const lazyOnServer = (await vpn.server.listSas()).find((sa) => sa.remoteHost === lazy.host.v4);
    assert.ok(lazyOnServer, "the server's IKE_SA of the non-rekeying client");
    const lazyLogName = `${lazyOnServer.name}|${lazyOnServer.uniqueId}`;

    let lazyCutAt: number | undefined;
    let lazyLastPing = 0;
    const pingFailures: string[] = [];
    const probes = { n: 0 };
    const state = () =>
      `rekeys ${platforms.map((p, i) => `${p.platform}: ${JSON.stringify(rekeysDone(clients[i]))}`).join("; ")}; lazy client cut at ${lazyCutAt}; ping failures ${pingFailures.length}`;
    // One bounded wait, no sleeps: each round pings through every tunnel and reads the logs.
    await waitFor(
      async () => {
        probes.n++;
        await Promise.all(
          clients.map(async (c, i) => {
            if (!(await ping(c.ns, NET.upstreamV4, 2))) pingFailures.push(`${platforms[i].platform} at ${Date.now() - started} ms`);
          }),
        );
        if (lazyCutAt === undefined) {
          // Its first CHILD_SA: cut at the server's hard lifetime (strongSwan then offers a new one, see below).
          if ((await childIds(lazy)).includes(lazyChild)) {
            if (await ping(lazy.ns, NET.upstreamV4, 1)) lazyLastPing = Date.now();
          } else {
            lazyCutAt = Date.now();
          }
        }
        const done = clients.every((c) => {
          const r = rekeysDone(c);
          return r.ike >= MIN_REKEYS && r.child >= MIN_REKEYS;
        });
        // Keep going past the server's hard lifetime, so the rekeying clients prove it never cuts them.
        return done && lazyCutAt !== undefined && Date.now() - started > (SERVER_CHILD_LIFE + 5) * 1000;
      },
      {
        timeoutMs: (SERVER_CHILD_LIFE + 60) * 1000,
        intervalMs: 250,
        what: "every client's rekeys and the lazy client's cut",
      },
    ).catch((err: Error) => {
      err.message += `\n${state()}\n--- server log tail ---\n${vpn.server.log().slice(-4000)}\n--- Apple client log tail ---\n${clients[0].log().slice(-3000)}`;
      throw err;
    });
    const elapsed = Date.now() - started;

    // Traffic flowed through every rekey.
    assert.deepEqual(pingFailures, [], `pings lost during rekeys (${probes.n} rounds)`);
    for (const [i, c] of clients.entries()) {
      const r = rekeysDone(c);
      const sa = await c.ikeSa();
      assert.ok(sa, `${platforms[i].platform}: IKE_SA still up after ${elapsed} ms`);
      const child = sa.children.find((ch) => ch.state === "INSTALLED");
      assert.ok(child, `${platforms[i].platform}: a CHILD_SA installed`);
      const pfs = platforms[i].suite.espPfs?.split("-").pop();
      if (pfs) assert.equal(child.dhGroup, viciDh(pfs), `${platforms[i].platform}: rekeyed with its PFS group`);
      console.log(`# ${platforms[i].platform}: ${r.ike} IKE and ${r.child} CHILD rekeys in ${(elapsed / 1000).toFixed(1)} s, ${probes.n} ping rounds`);
    }

    // The server responded to every rekey and initiated none. Its log may trail the clients' by
    // a line: wait (bounded) until it shows every rekey the clients completed.
    const total = clients.map(rekeysDone).reduce((a, r) => ({ ike: a.ike + r.ike, child: a.child + r.child }), { ike: 0, child: 0 });
    const childRe = /parsed CREATE_CHILD_SA request \d+ \[ N\(REKEY_SA\)/g;
    const ikeRe = /parsed CREATE_CHILD_SA request \d+ \[ SA No KE \]/g;
    await waitFor(() => count(vpn.server.log(), childRe) >= total.child && count(vpn.server.log(), ikeRe) >= total.ike, {
      timeoutMs: 5_000,
      what: "the server's log showing every rekey",
    }).catch(() => undefined);
    const log = vpn.server.log();
    const childRekeyRequests = count(log, childRe);
    const ikeRekeyRequests = count(log, ikeRe);
    assert.ok(childRekeyRequests >= total.child, `server saw ${childRekeyRequests} CHILD rekey requests, clients completed ${total.child}`);
    assert.ok(ikeRekeyRequests >= total.ike, `server saw ${ikeRekeyRequests} IKE rekey requests, clients completed ${total.ike}`);
    assert.equal(count(log, /generating CREATE_CHILD_SA request \d+ \[ N\(REKEY_SA\)/g), 0, "the server initiated a CHILD rekey");
    // The only CREATE_CHILD_SA the server ever starts: strongSwan 5.9 (child_delete.c) re-creates a
    // CHILD_SA that reached its hard lifetime, here for the non-rekeying client after its cut. A client
    // that refuses it (Windows behind NAT) has no tunnel from then on; strongSwan clients accept it.
    // So every CREATE_CHILD_SA the server starts must follow a hard expiry on that IKE_SA, and the
    // non-rekeying client's CHILD_SA must be among the expired. Under a loaded CI machine a rekeying
    // client's superseded CHILD_SA has also been seen to reach the (test-short) hard lifetime before
    // its DELETE completed; that is printed, not failed: it is a recreate, not a rekey.
    const initiated = [...new Set([...log.matchAll(/^.*<([^>]+)> generating CREATE_CHILD_SA request.*$/gm)].map((m) => m[1]))];
    const expired = [...new Set([...log.matchAll(/^.*<([^>]+)> closing expired CHILD_SA.*$/gm)].map((m) => m[1]))];
    assert.deepEqual(
      initiated.filter((n) => !expired.includes(n)),
      [],
      `the server started a CREATE_CHILD_SA that no hard expiry explains (expired: ${expired})`,
    );
    assert.ok(expired.includes(lazyLogName), `the non-rekeying client's CHILD_SA expired on the server (expired: ${expired})`);
    const others = expired.filter((n) => n !== lazyLogName);
    if (others.length) console.log(`# note: CHILD_SAs of rekeying clients also reached the test-only hard lifetime on the server: ${others.join(", ")}`);
    assert.equal(count(log, /scheduling (rekeying|reauthentication)/g), 0, "the server scheduled an IKE rekey or reauthentication");
    for (const sa of await vpn.server.listSas()) {
      assert.equal(sa.raw["rekey-time"], undefined, `server IKE_SA ${sa.name} has a rekey time`);
      assert.equal(sa.raw["reauth-time"], undefined, `server IKE_SA ${sa.name} has a reauth time`);
      for (const ch of Object.values((sa.raw["child-sas"] ?? {}) as Record<string, Record<string, unknown>>)) {
        assert.equal(ch["rekey-time"], undefined, `server CHILD_SA of ${sa.name} has a rekey time`);
        assert.ok(ch["life-time"] !== undefined, `server CHILD_SA of ${sa.name} has a hard lifetime`);
      }
    }

    // The lazy client: cut at the server's hard lifetime, not before (its tunnel carried traffic until then).
    const cutAfter = lazyCutAt! - lazyUp;
    console.log(
      `# non-rekeying client: CHILD_SA cut after ${(cutAfter / 1000).toFixed(1)} s (server life_time ${SERVER_CHILD_LIFE} s), last ping ${((lazyLastPing - lazyUp) / 1000).toFixed(1)} s`,
    );
    assert.ok(cutAfter >= (SERVER_CHILD_LIFE - 1) * 1000, `cut after ${cutAfter} ms, before the ${SERVER_CHILD_LIFE} s hard lifetime`);
    assert.ok(cutAfter <= (SERVER_CHILD_LIFE + 10) * 1000, `cut only after ${cutAfter} ms`);
    assert.ok(
      lazyLastPing - lazyUp >= (SERVER_CHILD_LIFE - 4) * 1000,
      "the non-rekeying client's tunnel carried traffic until shortly before the hard lifetime",
    );
    assert.equal(count(lazy.log(), /generating CREATE_CHILD_SA request/g), 0, "the lazy client did not rekey");
  });
});
