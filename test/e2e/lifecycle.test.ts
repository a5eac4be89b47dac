// The user lifecycle through the real path: charon's eap-radius plugin asking the
// rendered FreeRADIUS configuration, accounting into the rendered SQLite schema,
// and the rendered vpn-aaa script ending sessions over charon's DAE (RFC 5176).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NET } from "../lib/netns";
import { query } from "../lib/radius";
import { ping } from "../lib/upstream";
import { createVpn, Vpn } from "../lib/vpn";
import type { FixtureUser } from "../lib/fixture";
import { waitFor } from "../lib/wait";
import { join } from "node:path";
import { inNs, run } from "../lib/exec";
import { swanctlEnv } from "../lib/swanctl";
import { stepScripts } from "../../model/steps";
import { PATHS } from "../../model/server/files";
import { rewriteAaaPaths } from "../lib/radius";
import { withShortDpd } from "../lib/lifetimes";

/**
 * The apply step's own session-ending part (between its "sessions" markers), with
 * the server's paths pointing into the test's directories: what a deploy runs
 * after it made new credentials live.
 */
async function applySessionsPart(vpn: Vpn): Promise<string> {
  const script = stepScripts().apply;
  const part = /# ---- sessions: begin[^\n]*\n([\s\S]*?)# ---- sessions: end/.exec(script);
  assert.ok(part, "the apply step marks its sessions part");
  const text = rewriteAaaPaths(part[1], vpn.server.aaa)
    .split(PATHS.usersFile)
    .join(join(vpn.server.dir, "users"))
    .split(`${PATHS.stateDir}/credential-digests`)
    .join(join(vpn.server.dir, "credential-digests"))
    .split(PATHS.swanctlConf)
    .join(join(vpn.server.swanctlDir, "swanctl.conf"));
  const r = await run(inNs(vpn.server.ns, ["sh", "-euc", text]), { env: swanctlEnv(vpn.server), timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const PW = { alice: "alice-passw0rd 'quoted' \\ %{x}", bob: "bob-passw0rd", carol: "carol-passw0rd", dave: "dave-passw0rd" };

describe("user lifecycle (FreeRADIUS on loopback)", { timeout: 300_000 }, () => {
  let vpn: Vpn;
  const users: FixtureUser[] = [
    { name: "alice", password: PW.alice, maxDevices: 2 },
    { name: "bob", password: PW.bob },
    { name: "carol", password: PW.carol, disabled: true },
    { name: "dave", password: PW.dave, monthlyQuotaGB: 100 },
  ];

  before(async () => {
    vpn = await createVpn({ users });
  });
  after(async () => {
    await vpn?.teardown();
  });

  const login = async (user: keyof typeof PW, password: string = PW[user]) => {
    const c = await vpn.client({ user, password, identity: user });
    const r = await c.connect();
    return { c, ok: r.ok, output: r.output };
  };

  it("a user logs in through RADIUS, a wrong password and an unknown user are refused", async () => {
    const ok = await login("bob");
    assert.equal(ok.ok, true, vpn.server.log().slice(-3000));
    assert.equal((await vpn.server.listSas()).find((s) => s.remoteUser === "bob")?.state, "ESTABLISHED");
    const wrong = await login("bob", "not-bobs-password");
    assert.equal(wrong.ok, false);
    await vpn.drop(wrong.c);
    await vpn.drop(ok.c);
  });

  it("a suspended user (disabled: true) is refused", async () => {
    const r = await login("carol");
    assert.equal(r.ok, false);
    await vpn.drop(r.c);
  });

  it("maxDevices 2: a third device is refused while two keep working; after one leaves, a new one gets in", async () => {
    const a = await login("alice");
    const b = await login("alice");
    assert.equal(a.ok && b.ok, true, vpn.server.log().slice(-3000));
    const third = await login("alice");
    assert.equal(third.ok, false, "the third simultaneous login must be refused");
    // What a strongSwan client (Android app, Linux) shows: the same as a wrong password,
    // since EAP-Failure carries no reason (README "Device limits").
    assert.match(third.output, /received EAP_FAILURE, EAP authentication failed/);
    await vpn.drop(third.c);
    assert.equal(await ping(a.c.ns, NET.upstreamV4), true, "the first device still reaches the Internet");
    assert.equal(await ping(b.c.ns, NET.upstreamV4), true, "the second device still reaches the Internet");
    await a.c.disconnect();
    await vpn.drop(a.c);
    // The Stop closes the accounting row: the slot is free again.
    await waitFor(async () => (await query(vpn.server.aaa, "SELECT COUNT(*) AS n FROM radacct WHERE username = 'alice' AND acctstoptime IS NULL"))[0].n === 1, {
      timeoutMs: 10_000,
      what: "alice's first session closed in accounting",
    });
    const again = await login("alice");
    assert.equal(again.ok, true, "a new device gets in once one left");
    await vpn.drop(again.c);
    await vpn.drop(b.c);
  });

  it("usage: a known transfer is counted within 5 % in both directions, per user and day", async () => {
    const d = await login("dave");
    assert.equal(d.ok, true);
    const count = 200;
    const size = 1000; // ICMP payload; + 8 ICMP + 20 IPv4 header = 1028 bytes per packet each way
    const r = await d.c.exec(["ping", "-n", "-q", "-c", String(count), "-i", "0.01", "-s", String(size), NET.upstreamV4]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await d.c.disconnect();
    await vpn.drop(d.c);
    const expected = count * (size + 28);
    const rows = await waitFor(
      async () => {
        const q = await query<{ bytes_in: number; bytes_out: number; seconds: number }>(
          vpn.server.aaa,
          "SELECT bytes_in, bytes_out, seconds FROM vpn_usage_daily WHERE username = 'dave'",
        );
        return q.length && q[0].bytes_in > 0 ? q : undefined;
      },
      { timeoutMs: 10_000, what: "dave's usage after the Stop" },
    );
    for (const [dir, got] of [
      ["in", rows[0].bytes_in],
      ["out", rows[0].bytes_out],
    ] as const) {
      assert.ok(Math.abs(got - expected) / expected <= 0.05, `bytes ${dir}: ${got}, expected ${expected} within 5 %`);
    }
  });

  it("rotation: the user's live sessions end, the old password is refused, the new one works, nobody else's SA is touched", async () => {
    await applySessionsPart(vpn); // the digests of the deploy before
    const a = await login("alice");
    const b = await login("bob");
    assert.equal(a.ok && b.ok, true);
    const bobBefore = (await vpn.server.listSas()).find((x) => x.remoteUser === "bob")!.uniqueId;
    const rotated = users.map((u) => (u.name === "alice" ? { ...u, password: "alice-new-passw0rd" } : u));
    await vpn.rerender({ users: rotated });
    const out = await applySessionsPart(vpn);
    assert.match(out, /ending the session of alice: the password changed/);
    await waitFor(async () => !(await vpn.server.listSas()).some((x) => x.remoteUser === "alice"), { timeoutMs: 10_000, what: "alice's session ended" });
    assert.equal((await vpn.server.listSas()).find((x) => x.remoteUser === "bob")?.uniqueId, bobBefore, "bob keeps his IKE_SA");
    const old = await login("alice");
    assert.equal(old.ok, false, "the old password is refused");
    const fresh = await login("alice", "alice-new-passw0rd");
    assert.equal(fresh.ok, true, "the new password works");
    for (const c of [a.c, b.c, old.c, fresh.c]) await vpn.drop(c);
    await vpn.rerender({ users });
    await applySessionsPart(vpn);
  });

  for (const how of ["suspending (disabled: true)", "removing"] as const) {
    it(`${how} a user ends that user's live sessions in the deploy; nobody else's SA is touched`, async () => {
      await applySessionsPart(vpn);
      const b = await login("bob");
      const a = await login("alice");
      assert.equal(a.ok && b.ok, true);
      const aliceSa = (await vpn.server.listSas()).find((x) => x.remoteUser === "alice")!.uniqueId;
      const changed = how === "removing" ? users.filter((u) => u.name !== "bob") : users.map((u) => (u.name === "bob" ? { ...u, disabled: true } : u));
      await vpn.rerender({ users: changed });
      assert.match(await applySessionsPart(vpn), /ending the session of removed or suspended user bob/);
      await waitFor(async () => !(await vpn.server.listSas()).some((x) => x.remoteUser === "bob"), { timeoutMs: 10_000, what: "bob's session ended" });
      assert.equal((await vpn.server.listSas()).find((x) => x.remoteUser === "alice")?.uniqueId, aliceSa, "alice keeps her SA");
      const again = await login("bob");
      assert.equal(again.ok, false, "bob cannot log in");
      for (const c of [a.c, b.c, again.c]) await vpn.drop(c);
      await vpn.rerender({ users });
      await applySessionsPart(vpn);
    });
  }

  it("expiry: at the date the session ends with no deploy (vpn-aaa enforce, the minute timer), and logins are refused", async () => {
    const expires = new Date(Date.now() + 6000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const withErin = [...users, { name: "erin", password: "erin-passw0rd", expires }];
    await vpn.rerender({ users: withErin });
    const e = await vpn.client({ user: "erin", password: "erin-passw0rd", identity: "erin" });
    assert.equal((await e.connect()).ok, true, vpn.server.log().slice(-2000));
    const before = await vpn.server.vpnAaa(["enforce"]);
    assert.doesNotMatch(before.stdout, /erin/, "not before the date");
    const sas = await vpn.server.listSas();
    assert.ok(
      sas.some((x) => x.remoteUser === "erin"),
      `${JSON.stringify(sas)}\n${vpn.server.log().slice(-2500)}`,
    );
    await waitFor(() => Date.now() > Date.parse(expires) + 1000 || undefined, { timeoutMs: 15_000, what: "erin's expiry passed" });
    const r = await vpn.server.vpnAaa(["enforce"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ending the sessions of erin: expired/);
    await waitFor(async () => !(await vpn.server.listSas()).some((x) => x.remoteUser === "erin"), { timeoutMs: 10_000, what: "erin's session ended" });
    await vpn.drop(e);
    const again = await vpn.client({ user: "erin", password: "erin-passw0rd", identity: "erin" });
    assert.equal((await again.connect()).ok, false, "an expired user cannot log in");
    await vpn.drop(again);
  });

  it("monthly quota: over it, the session ends at the next enforce and logins are refused", async () => {
    const d = await login("dave");
    assert.equal(d.ok, true);
    // dave moved about 200 kB above; 100 kB is now his quota.
    await vpn.rerender({ users: users.map((u) => (u.name === "dave" ? { ...u, monthlyQuotaGB: 0.0001 } : u)) });
    const r = await vpn.server.vpnAaa(["enforce"]);
    assert.match(r.stdout, /ending the sessions of dave: over the monthly quota/);
    await waitFor(async () => !(await vpn.server.listSas()).some((x) => x.remoteUser === "dave"), { timeoutMs: 10_000, what: "dave's session ended" });
    await vpn.drop(d.c);
    const again = await login("dave");
    assert.equal(again.ok, false, "over quota: refused until the month ends");
    await vpn.drop(again.c);
  });

  it("metrics: the Prometheus textfile has per-user counters, sessions and SA counts", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(join(vpn.server.aaa.metrics, "vpn.prom"), "utf8");
    assert.match(text, /^vpn_user_received_bytes_total\{user="dave"\} [1-9]\d*$/m);
    assert.match(text, /^vpn_user_month_bytes\{user="dave"\} [1-9]\d*$/m);
    assert.match(text, /^vpn_ike_sas \d+$/m);
    assert.match(text, /^# TYPE vpn_user_sessions gauge$/m);
  });

  it("vpn-aaa usage prints the documented JSON", async () => {
    const r = await vpn.server.vpnAaa(["usage"]);
    assert.equal(r.code, 0, r.stderr);
    const u = JSON.parse(r.stdout) as {
      days: Array<{ user: string; day: string; bytesIn: number; bytesOut: number; seconds: number }>;
      sessions: Record<string, number>;
    };
    const dave = u.days.find((x) => x.user === "dave");
    assert.ok(dave && dave.bytesIn > 0 && dave.bytesOut > 0 && /^\d{4}-\d{2}-\d{2}$/.test(dave.day));
    assert.deepEqual(u.sessions, {});
  });
});

describe("a lost phone without the lifecycle (charon checks the passwords itself)", { timeout: 120_000 }, () => {
  let vpn: Vpn;
  const users: FixtureUser[] = [
    { name: "alice", password: "alice-passw0rd" },
    { name: "bob", password: "bob-passw0rd" },
  ];
  before(async () => {
    vpn = await createVpn({ users });
  });
  after(async () => {
    await vpn?.teardown();
  });

  it("a changed password ends that user's live session in the same deploy; bob keeps his SA", async () => {
    await applySessionsPart(vpn);
    const a = await vpn.connect({ user: "alice", password: "alice-passw0rd", identity: "alice" });
    const b = await vpn.connect({ user: "bob", password: "bob-passw0rd", identity: "bob" });
    const bobBefore = (await vpn.server.listSas()).find((x) => x.remoteUser === "bob")!.uniqueId;
    assert.equal(await applySessionsPart(vpn), "", "no change, nothing ended");
    await vpn.rerender({ users: [{ name: "alice", password: "alice-rotated-0" }, users[1]] });
    assert.match(await applySessionsPart(vpn), /ending the session of alice: the password changed/);
    await waitFor(async () => !(await vpn.server.listSas()).some((x) => x.remoteUser === "alice"), { timeoutMs: 10_000, what: "alice's session ended" });
    assert.equal((await vpn.server.listSas()).find((x) => x.remoteUser === "bob")?.uniqueId, bobBefore);
    const old = await vpn.client({ user: "alice", password: "alice-passw0rd", identity: "alice" });
    assert.equal((await old.connect()).ok, false, "the old password is refused");
    for (const c of [a, b, old]) await vpn.drop(c);
  });
});

describe("device slots and usage across failures", { timeout: 180_000 }, () => {
  let vpn: Vpn;
  const DPD_SECONDS = 2;
  before(async () => {
    vpn = await createVpn({ users: [{ name: "frank", password: "frank-passw0rd", maxDevices: 1 }], transformFiles: (f) => withShortDpd(f, DPD_SECONDS) });
  });
  after(async () => {
    await vpn?.teardown();
  });
  const open = async () =>
    (await query<{ n: number }>(vpn.server.aaa, "SELECT COUNT(*) AS n FROM radacct WHERE username = 'frank' AND acctstoptime IS NULL"))[0].n;

  it("a device that vanished without a DELETE frees its slot once dead peer detection clears it", async () => {
    const gone = await vpn.connect({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    // SIGKILL: no DELETE reaches the server, as with a phone that lost power.
    process.kill(gone.pid, "SIGKILL");
    const blocked = await vpn.client({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    assert.equal((await blocked.connect()).ok, false, "the vanished device still holds the only slot");
    await vpn.drop(blocked);
    await waitFor(async () => (await open()) === 0, { timeoutMs: 30_000, what: "DPD cleared the dead peer and its accounting row closed" });
    assert.match(vpn.server.log(), /giving up after \d+ retransmits|retransmit \d+ of request/);
    await vpn.drop(gone);
    const fresh = await vpn.client({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    assert.equal((await fresh.connect()).ok, true, "the freed slot takes a new device");
    await vpn.drop(fresh);
  });

  it("usage survives a strongSwan restart; the restart closes the open rows", async () => {
    const c = await vpn.connect({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    const r = await c.exec(["ping", "-n", "-q", "-c", "50", "-i", "0.01", "-s", "1000", NET.upstreamV4]);
    assert.equal(r.code, 0);
    const sum = async () =>
      (await query<{ b: number }>(vpn.server.aaa, "SELECT COALESCE(SUM(bytes_in + bytes_out), 0) AS b FROM vpn_usage_daily WHERE username = 'frank'"))[0].b;
    const before = await sum();
    await vpn.server.restartCharon();
    await waitFor(async () => (await open()) === 0, { timeoutMs: 10_000, what: "the restart's Accounting-Stop closed frank's row" });
    const afterRestart = await sum();
    assert.ok(afterRestart >= before + 50 * 1028 * 2 * 0.95, `usage kept and the session's traffic counted: ${before} -> ${afterRestart}`);
    await vpn.drop(c);
    const again = await vpn.connect({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    assert.ok(again.vips.v4, "frank logs in again: no stale row holds his only slot");
    await vpn.drop(again);
    assert.ok((await sum()) >= afterRestart);
  });

  it("after a crash (no Accounting-Stop), the restart frees the slot at once", async () => {
    const c = await vpn.connect({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    await vpn.server.restartCharon(true);
    const rows = await query<{ cause: string }>(
      vpn.server.aaa,
      "SELECT acctterminatecause AS cause FROM radacct WHERE username = 'frank' ORDER BY radacctid DESC LIMIT 1",
    );
    assert.equal(rows[0].cause, "NAS-Reboot", "closed by vpn-aaa close-open, not by a Stop");
    await vpn.drop(c);
    const again = await vpn.connect({ user: "frank", password: "frank-passw0rd", identity: "frank" });
    assert.ok(again.vips.v4);
    await vpn.drop(again);
  });
});
