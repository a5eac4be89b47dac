// The user lifecycle on a real Debian 12 host, through the exact steps: FreeRADIUS
// installed and configured by install-packages and apply, listening on loopback
// only; nothing new answers from outside; an update that changes no user restarts
// nothing; a rotation ends only that user's session; usage survives a reboot.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { VpnClient } from "../lib/client";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import { waitFor } from "../lib/wait";
import { startClientOf } from "./lib/clients";
import { TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { HOSTNAME, ON_BUNDLE_CHANGE, renderFor, runSteps, summary, User } from "./lib/region";
import { ensureRootfs } from "./lib/rootfs";
import { scanFromOutside } from "./lib/scan";
import { createSshKey, SshKey } from "./lib/ssh";
import { establishedOf, serverSas, strongswanService } from "./lib/state";

const log = (msg: string) => console.log(`[hosts] ${msg}`);

const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests", maxDevices: 2 };
const bob: User = { name: "bob", password: "bob-Passw0rd-for-tests", monthlyQuotaGB: 50 };

describe("the user lifecycle on a Debian 12 host, by the rendered steps", { timeout: 900_000 }, () => {
  let dir: string;
  let lab: Lab;
  let key: SshKey;
  let esp: EspBackend;
  let pki: TestPki;
  let host: TestHost;
  const clients: VpnClient[] = [];
  const client = async (u: User) => {
    const c = await startClientOf(lab, host, u, pki.rootPem, esp, dir);
    clients.push(c);
    return c;
  };
  const services = async () => {
    const out = await host.sshOk("for s in freeradius strongswan; do systemctl show $s -p MainPID --value; done");
    return out.trim().split("\n");
  };
  const usage = async (user: string) =>
    Number(
      (
        await host.sshOk(
          `sqlite3 /var/lib/vpn-radius/radius.sqlite "SELECT COALESCE(SUM(bytes_in + bytes_out), 0) FROM vpn_usage_daily WHERE username = '${user}'"`,
        )
      ).trim(),
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-aaa-"));
    esp = await detectEspBackend();
    const rootfs = await ensureRootfs(log);
    [key, pki] = await Promise.all([createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    lab = await Lab.create(log);
    host = await TestHost.create({ lab, rootfs, key, index: 3, libipsec: esp === "libipsec", log });
    await lab.routeV6RangeTo(host.index);
  });

  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await host?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the steps install FreeRADIUS and its timer; it listens on loopback only; users log in through it", async () => {
    const started = Date.now();
    const runs = await runSteps(host, renderFor(host, [alice, bob], pki));
    log(`lifecycle host provisioned in ${((Date.now() - started) / 1000).toFixed(1)} s (${summary(runs)})`);
    const state = await host.sshOk(
      "systemctl is-active freeradius vpn-aaa.timer; systemctl is-enabled freeradius vpn-aaa.timer; ss -Hlnup | awk '/freeradius|charon/ { for (i = 1; i <= NF; i++) if ($i ~ /:[0-9]+$/) { print $i; break } }' | sort -u",
    );
    const lines = state.trim().split("\n");
    assert.deepEqual(lines.slice(0, 4), ["active", "active", "enabled", "enabled"]);
    const listening = lines.slice(4);
    for (const l of listening.filter((x) => /:(1812|1813|3799)$/.test(x))) assert.match(l, /^127\.0\.0\.1:/, `RADIUS and DAE on loopback only: ${listening}`);
    assert.ok(
      listening.some((l) => l === "127.0.0.1:1812") && listening.some((l) => l === "127.0.0.1:3799"),
      `FreeRADIUS auth and charon's DAE listen: ${listening}`,
    );
    const a = await client(alice);
    await a.connectOrThrow();
    assert.equal(
      (await host.sshOk("sqlite3 /var/lib/vpn-radius/radius.sqlite \"SELECT COUNT(*) FROM radacct WHERE username = 'alice' AND acctstoptime IS NULL\"")).trim(),
      "1",
      "the Accounting-Start reached the database",
    );
    const perms = await host.sshOk(
      "stat -c '%a %U:%G %n' /etc/vpn-radius/users /etc/vpn-radius/clients.conf /etc/vpn-radius/dae-secret /var/lib/vpn-radius/radius.sqlite /etc/strongswan.d/zz-vpn.conf",
    );
    assert.match(perms, /^640 root:freerad \/etc\/vpn-radius\/users$/m);
    assert.match(perms, /^640 root:freerad \/etc\/vpn-radius\/clients.conf$/m);
    assert.match(perms, /^600 root:root \/etc\/vpn-radius\/dae-secret$/m);
    assert.match(perms, /^600 root:root \/etc\/strongswan.d\/zz-vpn.conf$/m);
  });

  test("from outside, nothing new answers", async () => {
    const result = await scanFromOutside(lab, host);
    // SSH, and nginx for share links (on by default); nothing of RADIUS.
    assert.deepEqual(result.tcpAnswering, ["22/tcp", "443/tcp"]);
    assert.ok(
      result.udpAnswering.every((p) => p === "500/udp" || p === "4500/udp"),
      `UDP answering: ${result.udpAnswering}`,
    );
  });

  test("an update that changes no user restarts nothing", async () => {
    const before = await services();
    const sa = establishedOf(await serverSas(host), "alice");
    const runs = await runSteps(host, renderFor(host, [alice, bob], pki));
    assert.doesNotMatch(runs.map((r) => r.output).join("\n"), /^(changed|removed) |restarting|ending the session/m);
    assert.deepEqual(await services(), before, "freeradius and strongswan kept their processes");
    assert.equal(establishedOf(await serverSas(host), "alice")?.uniqueId, sa?.uniqueId);
  });

  test("rotating alice's password ends her session only; the new password works", async () => {
    const b = await client(bob);
    await b.connectOrThrow();
    const ping = await b.exec(["ping", "-n", "-q", "-c", "20", "-i", "0.05", "-s", "1000", NET.upstreamV4]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const bobSa = establishedOf(await serverSas(host), "bob")!.uniqueId;
    const [, charonPid] = await services();
    const rotated = { ...alice, password: "alice-Rotated-Passw0rd" };
    const runs = await runSteps(host, renderFor(host, [rotated, bob], pki), ON_BUNDLE_CHANGE);
    assert.match(runs[1].output, /ending the session of alice: the password changed/);
    await waitFor(async () => !establishedOf(await serverSas(host), "alice"), { timeoutMs: 15_000, what: "alice's session ended" });
    assert.equal(establishedOf(await serverSas(host), "bob")?.uniqueId, bobSa, "bob keeps his SA");
    assert.equal((await services())[1], charonPid, "strongSwan was not restarted");
    const old = await client(alice);
    assert.equal((await old.connect(15)).ok, false, "the old password is refused");
    const fresh = await client(rotated);
    await fresh.connectOrThrow();
  });

  test("usage survives a reboot; the slots of sessions the reboot ended are free again", async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await waitFor(async () => (await usage("bob")) > 0, { timeoutMs: 15_000, what: "bob's usage recorded" });
    const before = await usage("bob");
    await host.reboot();
    await waitFor(async () => (await strongswanService(host)).active === "active", {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "strongSwan active after the reboot",
    });
    assert.equal(await usage("bob"), before, "usage kept across the reboot");
    assert.equal((await host.sshOk("sqlite3 /var/lib/vpn-radius/radius.sqlite 'SELECT COUNT(*) FROM radacct WHERE acctstoptime IS NULL'")).trim(), "0");
    const again = await client({ ...alice, password: "alice-Rotated-Passw0rd" });
    await again.connectOrThrow();
  });
});
