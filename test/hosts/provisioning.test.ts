// The real-host tier: the steps the Pulumi program registers (rendered by
// renderRegion, run over SSH in order, as @pulumi/command runs them) against a
// disposable Debian 12 host that looks like a fresh cloud VM, then real VPN
// clients through it to an upstream. One host, one story: provision, re-run,
// change users and certificate, scan from outside, reboot.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { VpnClient } from "../lib/client";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import type { WhoamiServer } from "../lib/upstream";
import { waitFor } from "../lib/wait";
import { sourceSeenUpstream, startClientOf, startUpstreamWhoami } from "./lib/clients";
import { TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { ON_BUNDLE_CHANGE, renderFor, runSteps, summary, User, HOSTNAME } from "./lib/region";
import { ensureRootfs, Rootfs } from "./lib/rootfs";
import { scanFromOutside } from "./lib/scan";
import { addLink, fetchFromUpstream } from "./lib/share";
import { createSshKey, SshKey } from "./lib/ssh";
import { establishedOf, serverSas, snapshot, strongswanService } from "./lib/state";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// Fixture users (test-only passwords). bob has a fixed address: his removal reshapes the pools.
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };
const bob: User = { name: "bob", password: "bob-Passw0rd-for-tests", staticIpv4: "10.47.83.50" };
const carol: User = { name: "carol", password: "carol-Passw0rd-for-tests" };

describe("a fresh Debian 12 host provisioned by the rendered steps", { timeout: 600_000 }, () => {
  let dir: string;
  let lab: Lab;
  let rootfs: Rootfs;
  let key: SshKey;
  let esp: EspBackend;
  let pki: TestPki;
  let host: TestHost;
  let whoami: WhoamiServer;
  const clients: VpnClient[] = [];

  /** A client of the host for `user`, trusting `root`; started, not connected. */
  async function client(user: User, root = pki.rootPem): Promise<VpnClient> {
    const c = await startClientOf(lab, host, user, root, esp, dir);
    clients.push(c);
    return c;
  }

  async function stopClient(c: VpnClient): Promise<void> {
    clients.splice(clients.indexOf(c), 1);
    await c.stop();
  }

  /** The client's traffic reaches the upstream through the tunnel: NATed v4, routed v6 from its own pool address. */
  async function assertTunnelWorks(c: VpnClient, who: string): Promise<void> {
    assert.equal(await sourceSeenUpstream(c, NET.upstreamV4), host.v4, `${who}: IPv4 through the tunnel, NATed to the host's address`);
    assert.ok(c.vips.v6, `${who} got an IPv6 address`);
    assert.equal(await sourceSeenUpstream(c, NET.upstreamV6), c.vips.v6, `${who}: IPv6 through the tunnel from its routed pool address`);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-"));
    esp = await detectEspBackend();
    log(`ESP: ${esp === "libipsec" ? "this kernel has no ESP: the host and the clients use kernel-libipsec (test-only)" : "kernel"}`);
    [rootfs, key, pki] = await Promise.all([ensureRootfs(log), createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    lab = await Lab.create(log);
    whoami = await startUpstreamWhoami(lab);
  });

  after(async () => {
    for (const c of [...clients]) await stopClient(c).catch(() => undefined);
    await whoami?.stop();
    await host?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from a fresh host to a working tunnel", async () => {
    const bootStarted = Date.now();
    host = await TestHost.create({ lab, rootfs, key, index: 0, libipsec: esp === "libipsec", log });
    const booted = Date.now() - bootStarted;
    await lab.routeV6RangeTo(host.index);
    // Looks like a fresh cloud VM: nothing of ours yet, root logs in by key only.
    const fresh = await host.sshOk(
      "for p in unattended-upgrades openssh-server charon-systemd strongswan-swanctl; do echo \"$p $(dpkg-query -W -f '${Status}' $p 2>/dev/null)\"; done; sshd -T | grep -i '^permitrootlogin'",
    );
    assert.match(fresh, /^unattended-upgrades install ok installed$/m);
    assert.match(fresh, /^openssh-server install ok installed$/m);
    assert.match(fresh, /^charon-systemd $/m, "strongSwan is not installed yet");
    assert.match(fresh, /^strongswan-swanctl $/m);
    assert.match(fresh, /^permitrootlogin without-password$/m, "root logs in by key only");

    const started = Date.now();
    const runs = await runSteps(host, renderFor(host, [alice, bob], pki));
    const provisioned = Date.now() - started;
    const a = await client(alice);
    await a.connectOrThrow();
    await assertTunnelWorks(a, "alice");
    log(
      `fresh host -> working tunnel: ${secs(Date.now() - started)} (steps: ${summary(runs)}; steps total ${secs(provisioned)}; host boot ${secs(booted)}, rootfs ${rootfs.origin})`,
    );
  });

  test("a second run of all steps changes nothing", async () => {
    const before = await snapshot(host);
    const service = await strongswanService(host);
    const sa = establishedOf(await serverSas(host), "alice");
    assert.ok(sa, "alice is connected before the re-run");

    const runs = await runSteps(host, renderFor(host, [alice, bob], pki));
    const output = runs.map((r) => r.output).join("\n");
    assert.match(output, /all packages present/, "install-packages installs nothing");
    assert.doesNotMatch(output, /^(changed|removed) /m, "push-files writes no file");
    assert.doesNotMatch(output, /restarting strongswan/, "apply does not restart strongSwan");

    assert.deepEqual(await snapshot(host), before, "same file hashes, modes, ruleset, sysctls and packages");
    assert.deepEqual(await strongswanService(host), service, "strongSwan kept its process");
    assert.equal(establishedOf(await serverSas(host), "alice")?.uniqueId, sa.uniqueId, "alice's SA stayed up");
    await assertTunnelWorks(clients[0], "alice after the re-run");
    log(`second run: nothing changed (${summary(runs)})`);
  });

  test("adding a user applies with a reload; other users' SAs stay up", async () => {
    const service = await strongswanService(host);
    const aliceSa = establishedOf(await serverSas(host), "alice");
    assert.ok(aliceSa);
    const runs = await runSteps(host, renderFor(host, [alice, bob, carol], pki), ON_BUNDLE_CHANGE);
    assert.match(runs[0].output, /^changed \/etc\/swanctl\/swanctl.conf$/m);
    assert.doesNotMatch(runs[1].output, /restarting/);
    assert.deepEqual(await strongswanService(host), service, "strongSwan was reloaded, not restarted");

    const c = await client(carol);
    await c.connectOrThrow();
    await assertTunnelWorks(c, "carol (added)");
    assert.equal(establishedOf(await serverSas(host), "alice")?.uniqueId, aliceSa.uniqueId, "alice's SA stayed up");
    await assertTunnelWorks(clients[0], "alice after adding carol");
  });

  test("removing a user applies with a reload; the removed user is cut off and cannot connect, the others stay up", async () => {
    const [a, c] = clients;
    const b = await client(bob);
    await b.connectOrThrow();
    assert.equal(b.vips.v4, bob.staticIpv4, "bob has his fixed address");
    const service = await strongswanService(host);
    const before = await serverSas(host);
    const kept = ["alice", "bob"].map((u) => establishedOf(before, u)?.uniqueId);
    assert.ok(kept.every(Boolean) && establishedOf(before, "carol"), "alice, bob and carol are connected");

    const runs = await runSteps(host, renderFor(host, [alice, bob], pki), ON_BUNDLE_CHANGE);
    assert.doesNotMatch(runs[1].output, /restarting/);
    assert.deepEqual(await strongswanService(host), service, "strongSwan was reloaded, not restarted");
    const afterSas = await serverSas(host);
    assert.deepEqual(
      ["alice", "bob"].map((u) => establishedOf(afterSas, u)?.uniqueId),
      kept,
      "alice's and bob's SAs stayed up",
    );
    for (const x of [a, b]) await assertTunnelWorks(x, `${x.spec.user} after removing carol`);
    assert.match(runs[1].output, /ending the session of removed or suspended user carol/);
    assert.equal(establishedOf(afterSas, "carol"), undefined, "apply ended carol's existing session");

    await c.disconnect();
    const retry = await c.connect(15);
    assert.equal(retry.ok, false, "carol can no longer connect");
    assert.match(retry.output, /EAP|AUTHENTICATION_FAILED|authentication/i);
    await stopClient(c);
  });

  test("rotating the certificate applies with a reload; existing SAs stay up, new ones get the new certificate", async () => {
    const service = await strongswanService(host);
    const before = await serverSas(host);
    const kept = ["alice", "bob"].map((u) => establishedOf(before, u)?.uniqueId);
    assert.ok(kept.every(Boolean), "alice and bob are connected");
    // A new key and a new chain, as when the ACME CA switches intermediates.
    const next = await createPki(join(dir, "pki-next"), HOSTNAME);
    const runs = await runSteps(host, renderFor(host, [alice, bob], next), ON_BUNDLE_CHANGE);
    assert.match(runs[0].output, /^changed \/etc\/swanctl\/x509\/server.pem$/m);
    assert.match(runs[0].output, /^changed \/etc\/swanctl\/private\/server-key.pem$/m);
    assert.doesNotMatch(runs[1].output, /restarting/);
    assert.deepEqual(await strongswanService(host), service, "strongSwan was reloaded, not restarted");
    const afterSas = await serverSas(host);
    assert.deepEqual(
      ["alice", "bob"].map((u) => establishedOf(afterSas, u)?.uniqueId),
      kept,
      "existing SAs stayed up",
    );

    // nginx (share links) was reloaded with the new certificate too: trusted by the new root only.
    assert.equal((await fetchFromUpstream(lab, host, next, dir, "/")).status, "404", "HTTPS with the new certificate");
    assert.notEqual((await fetchFromUpstream(lab, host, pki, dir, "/")).code, 0, "the old root no longer verifies nginx's certificate");
    assert.match(runs[1].output, /share links/);

    // A device that trusts only the new root can connect: the host presents the new certificate.
    const fresh = await client(alice, next.rootPem);
    await fresh.connectOrThrow();
    await assertTunnelWorks(fresh, "alice's new device (new certificate)");
    pki = next;
  });

  test("removing a fixed-address user reshapes the pools: strongSwan restarts, no two pools overlap", async () => {
    // strongSwan 5.9 keeps a pool with online leases when asked to unload it (model/server/pools.ts):
    // the apply step must not leave it next to the new, overlapping pool.
    const held = establishedOf(await serverSas(host), "alice")?.remoteVips.find((v) => !v.includes(":"));
    assert.ok(held, "alice holds an address in a dynamic pool");
    const runs = await runSteps(host, renderFor(host, [alice], pki), ON_BUNDLE_CHANGE);
    assert.match(runs[1].output, /pools changed while clients hold addresses in them: restarting strongswan/);
    const pools = await host.sshOk("swanctl --list-pools");
    assert.match(pools, /^pool-v4 +10\.47\.83\.2 /m, "the single dynamic pool is loaded (.1 is the server's own address)");
    assert.doesNotMatch(pools, /^(pool-v4-|static-v4-)/m, "no pool of the old layout is left");
    for (const c of [...clients]) await stopClient(c);
    const a = await client(alice);
    await a.connectOrThrow();
    await assertTunnelWorks(a, "alice after the pool change");
  });

  test("from outside, only UDP 500/4500, SSH and the share links' HTTPS answer", async () => {
    const result = await scanFromOutside(lab, host);
    log(`scan from the upstream: ${result.summary}`);
    assert.deepEqual(result.tcpAnswering, ["22/tcp", "443/tcp"], "TCP: only SSH and nginx for share links answer (v4 and v6); nothing on 80");
    assert.ok(
      result.udpAnswering.every((p) => p === "500/udp" || p === "4500/udp"),
      `UDP answering: ${result.udpAnswering}`,
    );
    assert.ok(result.decoyAnswersInside, "the decoy service answers on the host itself");
  });

  test("share links: nginx under systemd serves a link once over TLS 1.2+, and the timer removes an expired one from memory", async () => {
    const units = await host.sshOk(
      "systemctl is-active nginx vpn-share-sweep.timer; systemctl is-enabled nginx vpn-share-sweep.timer; stat -c '%a %U:%G' /run/vpn-share",
    );
    assert.deepEqual(units.trim().split("\n"), ["active", "active", "enabled", "enabled", "700 www-data:www-data"]);
    const token = await addLink(host, 600);
    const page = await fetchFromUpstream(lab, host, pki, dir, `/${token}/`, ["-A", "Mozilla/5.0 (Linux; Android 14)"]);
    assert.deepEqual([page.status, page.type], ["200", "text/html; charset=utf-8"]);
    assert.match(page.body, /<h2>Android<\/h2>[\s\S]*<h2>iPhone/, "the Android offer first");
    const first = await fetchFromUpstream(lab, host, pki, dir, `/${token}/alice.sswan`);
    assert.deepEqual([first.status, first.type, first.body], ["200", "application/vnd.strongswan.profile", "{}\n"]);
    assert.equal((await fetchFromUpstream(lab, host, pki, dir, `/${token}/alice.sswan`)).status, "404", "the second fetch");
    assert.equal((await fetchFromUpstream(lab, host, pki, dir, "/")).status, "404");
    const old = await fetchFromUpstream(lab, host, pki, dir, "/", ["--tls-max", "1.1"]);
    assert.notEqual(old.code, 0, "TLS 1.1 is refused");
    assert.match((await fetchFromUpstream(lab, host, pki, dir, "/")).headers, /^Strict-Transport-Security: max-age=31536000\r?$/im, "HSTS, on a 404 too");
    // An expired link: refused at once, gone from memory at the timer's next run (every minute).
    const short = await addLink(host, 2);
    await waitFor(async () => (await fetchFromUpstream(lab, host, pki, dir, `/${short}/`)).status === "404", {
      timeoutMs: 15_000,
      intervalMs: 500,
      what: "the link expired",
    });
    await waitFor(async () => (await host.sshOk(`test -e /run/vpn-share/${short} && echo there || echo gone`)).trim() === "gone", {
      timeoutMs: 90_000,
      intervalMs: 1000,
      what: "the sweep timer removed the expired link",
    });
    assert.equal(
      (await host.sshOk("grep -rlF -e " + token + " -e " + short + " /var/log/nginx /var/log/journal 2>/dev/null | wc -l")).trim(),
      "0",
      "no log holds a token",
    );
  });

  test("vpn:shareLinks false: nginx stops, 443 is closed on the host, no link stays in memory; on again serves again", async () => {
    const token = await addLink(host, 600);
    await runSteps(host, renderFor(host, [alice], pki, { "vpn:shareLinks": false }), ON_BUNDLE_CHANGE);
    const state = await host.sshOk(
      "systemctl is-active nginx vpn-share-sweep.timer || true; ss -Hltn 'sport = :443' | wc -l; nft list ruleset | grep -c 'dport 443' || true; test -e /run/vpn-share && echo store || echo no-store",
    );
    assert.deepEqual(state.trim().split("\n"), ["inactive", "inactive", "0", "0", "no-store"]);
    const scan = await scanFromOutside(lab, host);
    assert.deepEqual(scan.tcpAnswering, ["22/tcp"], "only SSH answers over TCP");
    await runSteps(host, renderFor(host, [alice], pki), ON_BUNDLE_CHANGE);
    assert.equal((await fetchFromUpstream(lab, host, pki, dir, `/${token}/`)).status, "404", "a link from before the switch-off stays gone");
    const fresh = await addLink(host, 600);
    assert.equal((await fetchFromUpstream(lab, host, pki, dir, `/${fresh}/alice.ps1`)).status, "200");
  });

  test("after a reboot, the VPN comes back by itself", async () => {
    const before = await snapshot(host);
    for (const c of [...clients]) await stopClient(c);
    const ms = await host.reboot();
    const back = Date.now();
    await waitFor(async () => (await strongswanService(host)).active === "active", {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: "strongSwan active after the reboot",
    });
    const state = await host.sshOk(
      "systemctl is-enabled nftables strongswan; sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding; swanctl --list-conns | grep -c '^rw:'",
    );
    assert.deepEqual(state.trim().split("\n"), ["enabled", "enabled", "1", "1", "1"], "nftables and strongSwan enabled, forwarding on, the connection loaded");
    const after = await snapshot(host);
    assert.equal(after["ruleset"], before["ruleset"], "the same firewall is loaded");
    const c = await client(alice);
    await c.connectOrThrow();
    await assertTunnelWorks(c, "alice after the reboot");
    log(`reboot -> SSH ${secs(ms)}, -> working tunnel ${secs(ms + Date.now() - back)}`);
  });
});
