// The VM variant of a host: the cached rootfs plus Debian's own kernel
// (linux-image-amd64), booted by qemu (TCG: this machine has no usable KVM), so
// ESP runs in the kernel and nftables on Debian's kernel, as on a Linode VM.
// The tree is built once next to the rootfs cache; each VM gets an ext4 disk
// made from an overlayfs clone of it (mkfs.ext4 -d).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { run, runOk } from "../../lib/exec";
import { untar } from "../../lib/rootfs";
import { CACHE_DIR, Rootfs } from "./rootfs";

export interface VmImage {
  /** Root tree with the kernel installed: the lower directory of each VM's clone. */
  dir: string;
  kernel: string;
  initrd: string;
  origin: string;
}

// A small initrd: only what a virtio disk and network need.
const INITRAMFS_CONF = "MODULES=list\n";
const INITRAMFS_MODULES = "virtio_pci\nvirtio_blk\nvirtio_net\next4\n";
const INSTALL = [
  "set -eu",
  "export DEBIAN_FRONTEND=noninteractive",
  "apt-get -q update",
  // confold: keep the initramfs settings written before the package arrives.
  "apt-get -q install -y --no-install-recommends -o Dpkg::Options::=--force-confold linux-image-amd64 initramfs-tools",
  "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb",
].join("\n");

export async function ensureVmImage(rootfs: Rootfs, log: (msg: string) => void): Promise<VmImage> {
  const id = `${basename(rootfs.dir)}-vm-${createHash("sha256")
    .update(INITRAMFS_CONF + INITRAMFS_MODULES + INSTALL)
    .digest("hex")
    .slice(0, 8)}`;
  const dir = join(CACHE_DIR, id);
  const done = `${dir}.complete`;
  let origin = "cached";
  if (!existsSync(done)) {
    const started = Date.now();
    log(`vm image: building ${id} (Debian's kernel on the rootfs; cached afterwards in ${CACHE_DIR})`);
    for (const f of readdirSync(CACHE_DIR)) if (f.startsWith(`${basename(rootfs.dir)}-vm-`)) rmSync(join(CACHE_DIR, f), { recursive: true, force: true });
    mkdirSync(dir);
    await untar(rootfs.tarball, dir);
    mkdirSync(join(dir, "etc/initramfs-tools/conf.d"), { recursive: true });
    writeFileSync(join(dir, "etc/initramfs-tools/conf.d/vm.conf"), INITRAMFS_CONF);
    writeFileSync(join(dir, "etc/initramfs-tools/modules"), INITRAMFS_MODULES);
    const binds = ["proc", "sys", "dev"].map((m) => join(dir, m));
    try {
      for (const b of binds) await runOk(["mount", "--bind", `/${basename(b)}`, b]);
      await runOk(["chroot", dir, "/bin/sh", "-c", INSTALL], { timeoutMs: 600_000 });
    } finally {
      for (const b of binds.reverse()) await run(["umount", "-l", b]);
    }
    writeFileSync(done, `${new Date().toISOString()}\n`);
    origin = `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }
  const boot = readdirSync(join(dir, "boot"));
  const kernel = boot.find((f) => f.startsWith("vmlinuz-"));
  const initrd = boot.find((f) => f.startsWith("initrd.img-"));
  if (!kernel || !initrd) throw new Error(`no kernel/initrd in ${dir}/boot: ${boot.join(" ")}`);
  log(`vm image: ${id} (${origin}), kernel ${kernel}`);
  return { dir, kernel: join(dir, "boot", kernel), initrd: join(dir, "boot", initrd), origin };
}
