// The image a world Instance boots: the hosts tier's cached Debian 12 rootfs
// (test/hosts/lib/rootfs.ts, built with debootstrap when absent) plus cloud-init,
// because Linode images that offer Metadata hand the user data to cloud-init.
// Derived once and cached next to the base image; its name starts with the base
// image's id, so the hosts tier's clean-up of outdated images removes it too when
// the base recipe changes.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { runOk } from "../../lib/exec";
import { CACHE_DIR, ensureRootfs } from "../../hosts/lib/rootfs";

/**
 * Image settings a cloud image with cloud-init ships (Debian's own cloud images
 * carry equivalent files under /etc/cloud/cloud.cfg.d):
 * - datasource NoCloud only: the world hands user data through the NoCloud seed
 *   directory (https://cloudinit.readthedocs.io/en/latest/reference/datasources/nocloud.html);
 * - root keeps its authorized_keys (Linode images log in as root; Debian's default
 *   `disable_root: true` would replace them with a "log in as debian" stub);
 * - the network is configured by the platform (Linode's Network Helper; here the
 *   world's systemd-networkd file), not by cloud-init's DHCP fallback;
 * - apt keeps the image's sources (the mirror this machine uses);
 * - the image's locale is C.UTF-8 (cloud-init's default en_US.UTF-8 is not generated
 *   in a minimal Debian, and its locale module would fail the boot's status).
 */
export const CLOUD_CFG = [
  "# Linode-like image defaults (local Linode world)",
  "datasource_list: [ NoCloud ]",
  "disable_root: false",
  "network: {config: disabled}",
  "apt: {preserve_sources_list: true}",
  "locale: C.UTF-8",
  "",
].join("\n");
const CLOUD_CFG_FILE = "/etc/cloud/cloud.cfg.d/90-local-linode.cfg";

function buildScript(): string {
  return [
    "set -eu",
    "export DEBIAN_FRONTEND=noninteractive",
    // No service may start inside the chroot while packages install.
    "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d",
    "apt-get -q update",
    // locales: cloud-init's locale module runs locale-gen and update-locale, as on a cloud image.
    "apt-get -q install -y --no-install-recommends cloud-init locales",
    "rm -f /usr/sbin/policy-rc.d",
    `printf '%s' '${CLOUD_CFG}' > ${CLOUD_CFG_FILE}`,
    // First boot state again: no cloud-init state, no apt lists, no host keys, no resolver of the build.
    "rm -rf /var/lib/cloud/* /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /etc/ssh/ssh_host_*",
    ": > /etc/machine-id",
    "rm -f /etc/resolv.conf",
    "",
  ].join("\n");
}

export interface CloudRootfs {
  /** Unpacked tree: the overlayfs lower directory of every instance. Never written. */
  dir: string;
  origin: string;
}

/** Returns the unpacked cloud-init image, deriving and caching it when absent. */
export async function ensureCloudRootfs(log: (msg: string) => void): Promise<CloudRootfs> {
  const base = await ensureRootfs(log);
  const id = `${basename(base.dir)}-cloudinit-${createHash("sha256").update(buildScript()).digest("hex").slice(0, 8)}`;
  const tarball = join(CACHE_DIR, `${id}.tar.zst`);
  const dir = join(CACHE_DIR, id);
  const done = join(CACHE_DIR, `${id}.unpacked`);
  let origin = "cached";
  if (!existsSync(tarball)) {
    const started = Date.now();
    log(`rootfs: deriving ${id} (base image + cloud-init from the Debian mirror)`);
    const build = join(CACHE_DIR, `${id}.build`);
    rmSync(build, { recursive: true, force: true });
    mkdirSync(build);
    try {
      await runOk(["tar", "--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", build, "-xpf", base.tarball], { timeoutMs: 300_000 });
      writeFileSync(join(build, "etc/resolv.conf"), readFileSync("/etc/resolv.conf"));
      // A private mount namespace: /proc and /dev for the package scripts vanish with it.
      const inner = `mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" /bin/sh -c "$2"`;
      await runOk(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, "sh", build, buildScript()], { timeoutMs: 600_000 });
      const tmp = `${tarball}.tmp`;
      await runOk(["tar", "--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", build, "-cpf", tmp, "."], { timeoutMs: 300_000 });
      renameSync(tmp, tarball);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    origin = `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    // Earlier recipes' derived images are dead weight now.
    for (const f of readdirSync(CACHE_DIR)) {
      if (f.startsWith(`${basename(base.dir)}-cloudinit-`) && !f.startsWith(id)) rmSync(join(CACHE_DIR, f), { recursive: true, force: true });
    }
  }
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    await runOk(["tar", "--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-xpf", tarball], { timeoutMs: 300_000 });
    writeFileSync(done, `${new Date().toISOString()}\n`);
  }
  log(`rootfs: ${id} (${origin})`);
  return { dir, origin };
}
