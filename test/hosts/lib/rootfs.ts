// The Debian 12 root filesystem every disposable host boots from. Built once
// with debootstrap from this machine's Debian mirror, kept as a tarball under
// CACHE_DIR (outside the repository) and unpacked next to it; each host is an
// overlayfs clone of the unpacked tree, so the cache itself is never written.
// The file names carry a hash of the recipe: changing it rebuilds. The caching
// itself: test/lib/rootfs.ts (shared with the engine tier's world).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "../../lib/exec";
import { CachedTree, cachedTree } from "../../lib/rootfs";

export const CACHE_DIR = process.env.VPN_TEST_HOSTS_CACHE ?? "/var/cache/vpn-test-hosts";

/** A minimal Debian 12 as a cloud image has it: systemd, OpenSSH, apt, unattended-upgrades. */
const INCLUDE = [
  "systemd-sysv",
  "dbus",
  "libpam-systemd",
  "openssh-server",
  "ca-certificates",
  "iproute2",
  "nftables",
  "procps",
  "kmod",
  "unattended-upgrades",
  "curl",
  "gnupg",
  "sudo",
  "netbase",
  "iputils-ping",
  "cron",
  "lsb-release",
];
const SUITE = "bookworm";

/** Where apt on this machine gets Debian from (the hosts use the same mirror and settings). */
export interface MirrorSetup {
  /** For debootstrap: the first Debian archive URI. */
  archive: string;
  /** deb822 sources copied into the image: the machine's Debian entries only. */
  sources: string;
  /** apt settings the mirror needs (a snapshot mirror has expired Valid-Until dates). */
  aptConf: string;
  /** Host names apt will contact: the only destinations the host's NAT lets through. */
  hosts: string[];
}

export function mirrorSetup(): MirrorSetup {
  const file = "/etc/apt/sources.list.d/debian.sources";
  let sources = "";
  if (existsSync(file)) {
    sources = readFileSync(file, "utf8")
      .split(/\n\s*\n/)
      .filter((stanza) => /^URIs:.*\/debian(-security)?\/?\s*$/m.test(stanza) && /^Suites:.*\bbookworm/m.test(stanza))
      .join("\n\n");
  }
  if (!sources) {
    sources = [
      "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg",
      "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg",
    ].join("\n\n");
  }
  const uris = [...sources.matchAll(/^URIs:\s*(\S+)/gm)].map((m) => m[1]);
  const archive = uris.find((u) => /\/debian\/?$/.test(u)) ?? "http://deb.debian.org/debian";
  const aptConf = readdirSync("/etc/apt/apt.conf.d")
    .map((f) => readFileSync(join("/etc/apt/apt.conf.d", f), "utf8"))
    .flatMap((text) => text.split("\n").filter((l) => /^\s*Acquire::Check-(Valid-Until|Date)\s/.test(l)))
    .join("\n");
  return { archive, sources: `${sources.trim()}\n`, aptConf: aptConf ? `${aptConf}\n` : "", hosts: [...new Set(uris.map((u) => new URL(u).hostname))] };
}

/** Shell run inside the fresh debootstrap tree (chroot) to make it look like a cloud image. */
function customizeScript(m: MirrorSetup): string {
  return [
    "set -eu",
    // The image's apt sources and the mirror's settings, as on this machine.
    "rm -f /etc/apt/sources.list",
    `printf '%s' '${m.sources.replace(/'/g, "'\\''")}' > /etc/apt/sources.list.d/debian.sources`,
    m.aptConf ? `printf '%s' '${m.aptConf.replace(/'/g, "'\\''")}' > /etc/apt/apt.conf.d/99mirror` : "true",
    // Networking by systemd-networkd (each clone gets its eth0 address).
    "systemctl enable systemd-networkd >/dev/null 2>&1",
    // First boot: no machine id, no SSH host keys (each clone generates its own), no apt lists.
    ": > /etc/machine-id",
    "rm -f /etc/ssh/ssh_host_*",
    "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb",
    "",
  ].join("\n");
}

function recipeHash(m: MirrorSetup): string {
  return createHash("sha256")
    .update(JSON.stringify({ SUITE, INCLUDE, script: customizeScript(m), archive: m.archive }))
    .digest("hex")
    .slice(0, 12);
}

export type Rootfs = CachedTree;

/** Returns the unpacked rootfs, building and caching it when absent. */
export async function ensureRootfs(log: (msg: string) => void): Promise<Rootfs> {
  const mirror = mirrorSetup();
  const id = `debian12-${recipeHash(mirror)}`;
  return cachedTree(
    {
      cacheDir: CACHE_DIR,
      id,
      building: `rootfs: building ${id} with debootstrap from ${mirror.archive} (cached afterwards in ${CACHE_DIR})`,
      async build(dir) {
        await runOk(["debootstrap", "--variant=minbase", `--include=${INCLUDE.join(",")}`, SUITE, dir, mirror.archive], { timeoutMs: 600_000 });
        await runOk(["chroot", dir, "/bin/sh", "-c", customizeScript(mirror)], { timeoutMs: 60_000 });
      },
      // Also the images derived from older recipes (test/engine/world/rootfs.ts).
      stalePrefix: "debian12-",
    },
    log,
  );
}
