// A new server is patched before it serves anyone: the install step, on a host
// built from an image that lags behind the security archive (the cached rootfs is
// Debian 12's point release from debootstrap; this machine's mirror has newer
// security updates), installs every pending update from unattended-upgrades'
// origins before the VPN packages, and `npm run status` then reports none pending.
// A later run of the steps upgrades nothing; a server provisioned before the
// upgrade existed is left to its maintenance window; a failing update fails the
// step with the package and apt's message and leaves no VPN behind; an unreachable
// mirror fails within the bound. Each case on a fresh host. The reboot an update
// can ask for is taken on the qemu VM (vm.test.ts): a container cannot reboot.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RegionStatus } from "../../model/status/document";
import { UPGRADE_MARKER } from "../../model/steps";
import { statusOf } from "../../scripts/status";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import type { WhoamiServer } from "../lib/upstream";
import { sourceSeenUpstream, startClientOf, startUpstreamWhoami } from "./lib/clients";
import { TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { HOSTNAME, renderFor, runStep, runSteps, summary, User } from "./lib/region";
import { ensureRootfs, Rootfs } from "./lib/rootfs";
import { createSshKey, SshKey } from "./lib/ssh";
import { ARCHIVE_SOURCE, INSTALLED_DIR, testArchiveFiles } from "./lib/testArchive";

const log = (msg: string) => console.log(`[hosts/upgrade] ${msg}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const alice: User = { name: "alice", password: "alice-Passw0rd-for-upgrades" };

/** Packages apt would upgrade from a security archive, as `apt list --upgradable` prints them ("name/suite version arch [upgradable from: v]"). */
async function securityUpgradable(host: TestHost): Promise<string[]> {
  const out = await host.sshOk("apt list --upgradable 2>/dev/null");
  return out
    .split("\n")
    .filter((l) => /^\S+\/\S*-security[ ,]/.test(l))
    .map((l) => l.split("/")[0]);
}

/** apt's history: one "Start-Date:" per apt run that changed packages. */
async function aptRuns(host: TestHost): Promise<number> {
  return Number((await host.sshOk("cat /var/log/apt/history.log 2>/dev/null | grep -c '^Start-Date:' || true")).trim());
}

const bootId = async (host: TestHost) => (await host.sshOk("cat /proc/sys/kernel/random/boot_id")).trim();

describe("a new server is patched before it serves anyone (containers)", { timeout: 900_000 }, () => {
  let dir: string;
  let lab: Lab;
  let rootfs: Rootfs;
  let esp: EspBackend;
  let pki: TestPki;
  let whoami: WhoamiServer;
  let key: SshKey;
  let nextIndex = 20;

  async function freshHost(files?: Parameters<typeof TestHost.create>[0]["files"]): Promise<TestHost> {
    return TestHost.create({ lab, rootfs, key, index: nextIndex++, libipsec: esp === "libipsec", log, files });
  }

  /** `npm run status` for the host (statusOf with the view the stack's outputs give it). */
  async function status(host: TestHost): Promise<RegionStatus> {
    const hostKey = readFileSync(join(host.root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim();
    const doc = await statusOf(
      {
        servers: { "us-test": { hostname: HOSTNAME, host: host.v4, user: "root", privateKey: readFileSync(key.privateKeyFile, "utf8"), hostKey } },
        regions: { "us-test": { hostname: HOSTNAME, certificateNotAfter: new Date(new X509Certificate(pki.certificate.certPem).validTo).toISOString() } },
      },
      { stack: "hosts" },
    );
    return doc.regions[0];
  }

  async function tunnelWorks(host: TestHost): Promise<void> {
    await lab.routeV6RangeTo(host.index);
    const c = await startClientOf(lab, host, alice, pki.rootPem, esp, dir);
    try {
      await c.connectOrThrow();
      assert.equal(await sourceSeenUpstream(c, NET.upstreamV4), host.v4, "the tunnel works");
    } finally {
      await c.stop();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-upgrade-"));
    esp = await detectEspBackend();
    [rootfs, key, pki] = await Promise.all([ensureRootfs(log), createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    lab = await Lab.create(log);
    whoami = await startUpstreamWhoami(lab);
  });

  after(async () => {
    await whoami?.stop();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a host from an image with pending security updates is fully patched by the steps; status reports 0 pending; later runs upgrade nothing", async () => {
    const host = await freshHost();
    try {
      // What the image lacks, as apt sees it with fresh lists (the steps refresh them too).
      await host.sshOk("apt-get -q update >/dev/null");
      const pendingBefore = await securityUpgradable(host);
      const before = await status(host);
      log(`image: ${before.updates?.pending} pending (${before.updates?.security} security): ${pendingBefore.join(" ")}`);
      assert.ok(
        pendingBefore.length > 0,
        "the image has pending security updates (else this test proves nothing: the mirror's security archive has nothing newer than the point release)",
      );
      assert.ok((before.updates?.security ?? 0) > 0, "status sees them too");

      const render = renderFor(host, [alice], pki);
      const runs = await runSteps(host, render);
      const install = runs.find((r) => r.name === "install-packages")!;
      const upgraded = /updates: (\d+) installed in (\d+)s/.exec(install.output);
      assert.ok(upgraded, `the install step upgraded:\n${install.output}`);
      assert.ok(Number(upgraded[1]) >= pendingBefore.length, `${upgraded[1]} updates for ${pendingBefore.length} pending security updates`);
      // The upgrade came first: no VPN package was installed before it.
      assert.ok(install.output.indexOf("updates: new server") < install.output.indexOf("installing:"), install.output);

      assert.deepEqual(await securityUpgradable(host), [], "apt list --upgradable: nothing left from the security archive");
      const after = await status(host);
      assert.equal(after.updates?.security, 0, `status: ${JSON.stringify(after.updates)}`);
      assert.equal(
        after.updates?.pending,
        0,
        `status: ${JSON.stringify(after.updates)} (an update only in bookworm-updates, which unattended-upgrades does not install either, would show here)`,
      );
      assert.match(await host.sshOk(`cat ${UPGRADE_MARKER}`), /^upgraded \S+: \d+ updates at first provisioning/);
      await tunnelWorks(host);
      log(
        `first provisioning: ${upgraded[1]} updates in ${upgraded[2]} s of install-packages' ${secs(install.ms)} (${summary(runs)}); status after: ${after.updates?.pending} pending`,
      );

      // A later `pulumi up` that runs the steps again (a changed script): no apt run at all.
      const [aptBefore, boot] = [await aptRuns(host), await bootId(host)];
      const again = await runSteps(host, render);
      assert.match(again[1].output, /updates: installed when this server was provisioned \(upgraded /);
      assert.doesNotMatch(again[1].output, /updates: new server/);
      assert.equal(await aptRuns(host), aptBefore, "no apt run changed packages");
      assert.equal(await bootId(host), boot, "no reboot");

      // A server provisioned before this step upgraded (push-files has run, no marker):
      // left to the maintenance window, no apt run, no reboot.
      await host.sshOk(`rm ${UPGRADE_MARKER}`);
      const adopted = await runStep(
        host,
        render.steps.find((s) => s.name === "install-packages")!,
      );
      assert.match(adopted.output, /updates: server provisioned earlier; left to the maintenance window/);
      assert.doesNotMatch(adopted.output, /^(Hit|Get|Ign):\d/m, "no apt-get update");
      assert.match(await host.sshOk(`cat ${UPGRADE_MARKER}`), /^adopted /);
      log(`second run: install-packages ${secs(again[1].ms)}, no upgrade; an earlier server adopted in ${secs(adopted.ms)}`);
    } finally {
      await host.destroy();
    }
  });

  test("a failing update fails the step with the package and apt's message, leaves no VPN, and a re-run converges", async () => {
    const failWhile = "/etc/vh-test-update-fails";
    const files = testArchiveFiles(
      [{ name: "vh-test-broken", version: "1" }],
      [
        {
          name: "vh-test-broken",
          version: "2",
          postinst: `if [ -e ${failWhile} ]; then echo "vh-test-broken: cannot configure (test-only failure)" >&2; exit 1; fi\n`,
        },
      ],
    );
    log(`test-only: a local archive labelled as Debian-Security (${ARCHIVE_SOURCE}) offers vh-test-broken 2, whose postinst fails while ${failWhile} exists`);
    const host = await freshHost(files);
    try {
      await host.sshOk(`dpkg -i ${INSTALLED_DIR}/vh-test-broken_1_all.deb >/dev/null && touch ${failWhile}`);
      const render = renderFor(host, [alice], pki);
      await runStep(host, render.steps[0]);
      const install = render.steps.find((s) => s.name === "install-packages")!;
      const r = await host.ssh(install.script, { timeoutMs: 300_000 });
      assert.notEqual(r.code, 0, `the step failed:\n${r.output}`);
      const last = r.output.trim().split("\n").pop()!;
      assert.match(
        last,
        /^upgrade failed for vh-test-broken: .*post-installation script subprocess returned error exit status 1 \(apt: E: Sub-process \/usr\/bin\/dpkg returned an error code \(1\)\)$/,
        r.output,
      );
      assert.match(r.output, /vh-test-broken: cannot configure \(test-only failure\)/, "the package's own message is in the output");
      // No VPN: the VPN packages were not installed, nothing was pushed, nothing listens for IKE.
      const vpn = await host.sshOk(
        `dpkg-query -W -f='\${Status}\\n' charon-systemd 2>/dev/null | grep -c 'install ok installed' || true; ls /etc/swanctl/swanctl.conf ${UPGRADE_MARKER} 2>&1 | grep -c 'No such file'; ss -Huln 'sport = :500' | wc -l`,
      );
      assert.deepEqual(vpn.trim().split("\n"), ["0", "2", "0"], `charon-systemd installed / files missing / IKE listeners: ${vpn}`);

      // The cause goes away (a fixed package, space freed, ...): the re-run finishes dpkg's work and goes on.
      await host.sshOk(`rm ${failWhile}`);
      const runs = await runSteps(host, render, ["install-packages", "push-files", "apply"]);
      assert.deepEqual(await securityUpgradable(host), [], "nothing left from the security archive");
      assert.match(await host.sshOk("dpkg-query -W -f='${Version} ${Status}' vh-test-broken"), /^2 install ok installed$/);
      await tunnelWorks(host);
      log(`failed update: "${last}"; the re-run converged (${summary(runs)})`);
    } finally {
      await host.destroy();
    }
  });

  test("an unreachable mirror fails the step within its bound with a clear message; nothing installed; a re-run converges", async () => {
    const host = await freshHost();
    try {
      const render = renderFor(host, [alice], pki);
      const install = render.steps.find((s) => s.name === "install-packages")!;
      // The same script with a 15 s mirror bound instead of the program's, so that the test does not wait that long.
      const bounded = install.script.replace(/^mirror_timeout=\d+$/m, "mirror_timeout=15");
      assert.notEqual(bounded, install.script, "the script sets its mirror bound on one line");
      await runStep(host, render.steps[0]);
      // Test-only: the mirror's packets are dropped on the host (no answer at all, the slowest mirror there is).
      await host.sshOk(
        "nft add table inet vh_block && nft add chain inet vh_block out '{ type filter hook output priority 0; }' && nft add rule inet vh_block out tcp dport '{ 80, 443 }' drop",
      );
      const r = await host.ssh(bounded, { timeoutMs: 120_000 });
      assert.notEqual(r.code, 0, r.output);
      assert.ok(r.ms < 15_000 + 20_000, `failed within the bound (+ kill grace and SSH): ${secs(r.ms)}`);
      assert.match(
        r.output.trim().split("\n").pop()!,
        /^apt-get update: the Debian mirror did not deliver within 15s, so apt was stopped and nothing was installed\. Check /,
      );
      assert.equal(await aptRuns(host), 0, "no package changed");
      await host.sshOk("nft delete table inet vh_block");
      const again = await runStep(host, install);
      assert.match(again.output, /updates: \d+ installed in/);
      log(`unreachable mirror: failed after ${secs(r.ms)} with "${r.output.trim().split("\n").pop()}"; re-run with the mirror back: ${secs(again.ms)}`);
    } finally {
      await host.destroy();
    }
  });
});
