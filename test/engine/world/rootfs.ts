// The image a world Instance boots: the hosts tier's cached Debian 12 rootfs
// (test/hosts/lib/rootfs.ts, built with debootstrap when absent) plus cloud-init,
// because Linode images that offer Metadata hand the user data to cloud-init.
// Derived once and cached next to the base image (test/lib/rootfs.ts); its name
// starts with the base image's id, so the hosts tier's clean-up of outdated images
// removes it too when the base recipe changes.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { runOk } from "../../lib/exec";
import { cachedTree, untar } from "../../lib/rootfs";
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
  const { dir, origin } = await cachedTree(
    {
      cacheDir: CACHE_DIR,
      id,
      building: `rootfs: deriving ${id} (base image + cloud-init from the Debian mirror)`,
      async build(build) {
        mkdirSync(build);
        await untar(base.tarball, build);
        writeFileSync(join(build, "etc/resolv.conf"), readFileSync("/etc/resolv.conf"));
        // A private mount namespace: /proc and /dev for the package scripts vanish with it.
        const inner = `mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" /bin/sh -c "$2"`;
        await runOk(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, "sh", build, buildScript()], { timeoutMs: 600_000 });
      },
      // Earlier recipes' derived images.
      stalePrefix: `${basename(base.dir)}-cloudinit-`,
    },
    log,
  );
  return { dir, origin };
}
