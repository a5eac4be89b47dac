// The same provisioning on a qemu VM that runs Debian's own kernel: ESP in the
// kernel (no kernel-libipsec on the server) and the rendered nftables rules on
// Debian's kernel, as on a Linode VM. qemu runs without KVM here (TCG), so this
// covers the path once: fresh VM to tunnel, and the scan from outside. The VM is
// also where the install step's reboot is real: an update asks for one (as a new
// kernel or dbus does), the step reboots the VM once, the remaining steps connect
// to the rebooted VM through the pinned host key, dialled as @pulumi/command does.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import type { WhoamiServer } from "../lib/upstream";
import { sourceSeenUpstream, startClientOf, startUpstreamWhoami } from "./lib/clients";
import { TEST_ONLY_LIBIPSEC, TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { DialedStepRun, HOSTNAME, renderFor, runStepDialing, summary, User } from "./lib/region";
import { ensureRootfs } from "./lib/rootfs";
import { scanFromOutside } from "./lib/scan";
import { createSshKey } from "./lib/ssh";
import { ensureVmImage } from "./lib/vm";
import { ARCHIVE_SOURCE, ASK_FOR_REBOOT, INSTALLED_DIR, testArchiveFiles } from "./lib/testArchive";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };
/** Address plan index of the VM (198.51.100.20), apart from the containers'. */
const VM_INDEX = 10;

describe("a qemu VM with Debian's kernel provisioned by the rendered steps", { timeout: 1_800_000 }, () => {
  let dir: string;
  let lab: Lab;
  let esp: EspBackend;
  let pki: TestPki;
  let whoami: WhoamiServer;
  let vm: TestHost;
  let hostKey: string;
  const kernelBoots = () => readFileSync(join(vm.dir, "console-1.log"), "utf8").match(/Linux version \d/g)?.length ?? 0;
  const bootId = async () => (await vm.sshOk("cat /proc/sys/kernel/random/boot_id", { timeoutMs: 30_000 })).trim();
  const runAll = async (render: ReturnType<typeof renderFor>): Promise<DialedStepRun[]> => {
    const runs: DialedStepRun[] = [];
    for (const step of render.steps) runs.push(await runStepDialing(vm, step, hostKey, 1_200_000));
    return runs;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-"));
    esp = await detectEspBackend();
    const rootfs = await ensureRootfs(log);
    const [image, key] = await Promise.all([ensureVmImage(rootfs, log), createSshKey(join(dir, "ssh"))]);
    pki = await createPki(join(dir, "pki"), HOSTNAME);
    lab = await Lab.create(log);
    whoami = await startUpstreamWhoami(lab);
    const started = Date.now();
    const files = testArchiveFiles([{ name: "vh-test-reboot", version: "1" }], [{ name: "vh-test-reboot", version: "2", postinst: ASK_FOR_REBOOT }]);
    log(`test-only: a local archive labelled as Debian-Security (${ARCHIVE_SOURCE}) offers vh-test-reboot 2, whose postinst asks for a reboot as dbus's does`);
    vm = await TestHost.create({ lab, rootfs, key, index: VM_INDEX, libipsec: false, vm: image, log, files });
    log(`VM ${vm.name} (${vm.v4}) booted to SSH in ${secs(Date.now() - started)} (qemu TCG)`);
    await vm.sshOk(`dpkg -i ${INSTALLED_DIR}/vh-test-reboot_1_all.deb >/dev/null`, { timeoutMs: 120_000 });
    hostKey = readFileSync(join(vm.root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim();
    await lab.routeV6RangeTo(vm.index);
  });

  after(async () => {
    await whoami?.stop();
    await vm?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from a fresh VM to a working tunnel, with ESP in Debian's kernel, after one reboot an update asked for", async () => {
    const started = Date.now();
    const bootBefore = await bootId();
    assert.equal(kernelBoots(), 1);
    const runs = await runAll(renderFor(vm, [alice], pki));
    const install = runs.find((r) => r.name === "install-packages")!;
    assert.match(install.output, /^rebooting once \(vh-test-reboot asked for it\): the next step connects after the reboot$/m, install.output);
    const push = runs.find((r) => r.name === "push-files")!;
    assert.ok(push.failedDials > 0, "push-files was refused (sshd stopped) until the VM was back");
    assert.notEqual(await bootId(), bootBefore, "the VM rebooted");
    assert.equal(kernelBoots(), 2, "exactly once");
    assert.match(await vm.sshOk("cat /var/lib/vpn-region/first-upgrade"), /^reboot: vh-test-reboot asked for it$/m);
    assert.equal((await vm.sshOk("systemctl is-active strongswan")).trim(), "active", "strongSwan runs after the reboot");
    const c = await startClientOf(lab, vm, alice, pki.rootPem, esp, dir);
    try {
      await c.connectOrThrow();
      assert.equal(await sourceSeenUpstream(c, NET.upstreamV4), vm.v4, "IPv4 through the tunnel, NATed to the VM's address");
      assert.equal(await sourceSeenUpstream(c, NET.upstreamV6), c.vips.v6, "IPv6 through the tunnel from the client's routed pool address");
      // The kernel holds the ESP SAs (UDP-encapsulated): no userspace ESP on the VM.
      const xfrm = await vm.sshOk(`ip xfrm state; test ! -e ${TEST_ONLY_LIBIPSEC} && echo no-libipsec-fragment`);
      assert.match(xfrm, /proto esp spi 0x[0-9a-f]+ .*\n(.*\n)*?\s+encap type espinudp/, "ESP SAs in the VM's kernel");
      assert.match(xfrm, /^no-libipsec-fragment$/m);
    } finally {
      await c.stop();
    }
    const upgraded = /updates: (\d+) installed in (\d+)s \(([^)]*)\)/.exec(install.output);
    log(
      `fresh VM -> working tunnel (kernel ESP on the server${esp === "libipsec" ? "; the client still uses kernel-libipsec on this machine" : ""}): ${secs(Date.now() - started)} (${summary(runs)}); the upgrade: ${upgraded?.[1]} updates in ${upgraded?.[2]} s (${upgraded?.[3]}), then the reboot: push-files dialled ${push.failedDials} times before it ran (${secs(push.ms)})`,
    );
  });

  test("a second run of the steps neither upgrades nor reboots", async () => {
    const boot = await bootId();
    const runs = await runAll(renderFor(vm, [alice], pki));
    assert.match(runs[1].output, /updates: installed when this server was provisioned/);
    assert.doesNotMatch(runs[1].output, /updates: new server|rebooting/);
    assert.ok(
      runs.every((r) => r.failedDials === 0),
      "every step connected at once",
    );
    assert.equal(await bootId(), boot, "same boot");
    assert.equal(kernelBoots(), 2);
    log(`second run: ${summary(runs)}`);
  });

  test("from outside, only UDP 500/4500, SSH and the share links' HTTPS answer on Debian's kernel", async () => {
    const result = await scanFromOutside(lab, vm);
    log(`scan of the VM from the upstream: ${result.summary}`);
    assert.deepEqual(result.tcpAnswering, ["22/tcp", "443/tcp"], "TCP: only SSH and nginx for share links answer (v4 and v6)");
    assert.ok(
      result.udpAnswering.every((p) => p === "500/udp" || p === "4500/udp"),
      `UDP answering: ${result.udpAnswering}`,
    );
    assert.ok(result.decoyAnswersInside, "the decoy service answers on the VM itself");
  });
});
