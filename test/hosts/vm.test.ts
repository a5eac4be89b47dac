// The same provisioning on a qemu VM that runs Debian's own kernel: ESP in the
// kernel (no kernel-libipsec on the server) and the rendered nftables rules on
// Debian's kernel, as on a Linode VM. qemu runs without KVM here (TCG), so this
// covers the path once: fresh VM to tunnel, and the scan from outside.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import type { WhoamiServer } from "../lib/upstream";
import { sourceSeenUpstream, startClientOf, startUpstreamWhoami } from "./lib/clients";
import { TEST_ONLY_LIBIPSEC, TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { HOSTNAME, renderFor, runSteps, summary, User } from "./lib/region";
import { ensureRootfs } from "./lib/rootfs";
import { scanFromOutside } from "./lib/scan";
import { createSshKey } from "./lib/ssh";
import { ensureVmImage } from "./lib/vm";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };
/** Address plan index of the VM (198.51.100.20), apart from the containers'. */
const VM_INDEX = 10;

describe("a qemu VM with Debian's kernel provisioned by the rendered steps", { timeout: 900_000 }, () => {
  let dir: string;
  let lab: Lab;
  let esp: EspBackend;
  let pki: TestPki;
  let whoami: WhoamiServer;
  let vm: TestHost;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-"));
    esp = await detectEspBackend();
    const rootfs = await ensureRootfs(log);
    const [image, key] = await Promise.all([ensureVmImage(rootfs, log), createSshKey(join(dir, "ssh"))]);
    pki = await createPki(join(dir, "pki"), HOSTNAME);
    lab = await Lab.create(log);
    whoami = await startUpstreamWhoami(lab);
    const started = Date.now();
    vm = await TestHost.create({ lab, rootfs, key, index: VM_INDEX, libipsec: false, vm: image, log });
    log(`VM ${vm.name} (${vm.v4}) booted to SSH in ${secs(Date.now() - started)} (qemu TCG)`);
    await lab.routeV6RangeTo(vm.index);
  });

  after(async () => {
    await whoami?.stop();
    await vm?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("from a fresh VM to a working tunnel, with ESP in Debian's kernel", async () => {
    const started = Date.now();
    const runs = await runSteps(vm, renderFor(vm, [alice], pki));
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
    log(`fresh VM -> working tunnel (kernel ESP on the server${esp === "libipsec" ? "; the client still uses kernel-libipsec on this machine" : ""}): ${secs(Date.now() - started)} (${summary(runs)})`);
  });

  test("from outside, only UDP 500/4500 and SSH answer on Debian's kernel", async () => {
    const result = await scanFromOutside(lab, vm);
    log(`scan of the VM from the upstream: ${result.summary}`);
    assert.deepEqual(result.tcpAnswering, ["22/tcp"], "TCP: only SSH answers (v4 and v6)");
    assert.ok(result.udpAnswering.every((p) => p === "500/udp" || p === "4500/udp"), `UDP answering: ${result.udpAnswering}`);
    assert.ok(result.decoyAnswersInside, "the decoy service answers on the VM itself");
  });
});
