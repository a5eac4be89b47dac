// A local apt archive for the update tests, put into a host's clone before it boots:
// tiny packages whose newer version arrives as a security update. Its Release file
// carries the Debian security archive's Origin, Label and Codename, so that the
// install step's origin selection (the same patterns as unattended-upgrades) picks
// it like a real security update, and apt installs it like one (dpkg runs its
// maintainer scripts). Used where the real mirror cannot be made to do a thing on
// demand: an update that asks for a reboot (as a kernel or dbus does, by touching
// /var/run/reboot-required), and an update whose configuration fails.
// Test-only: the test that uses it prints so.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPackage {
  name: string;
  version: string;
  /** postinst body (sh), run by dpkg when the package is configured. */
  postinst?: string;
}

/** Where the archive lives on the host, and the apt source naming it. */
export const ARCHIVE_DIR = "/var/local/vh-test-archive";
export const ARCHIVE_SOURCE = "/etc/apt/sources.list.d/vh-test-archive.list";
/** The installed (older) versions, for dpkg -i before the steps run. */
export const INSTALLED_DIR = "/var/local/vh-test-installed";

/** What the postinst of an update that needs a reboot does: dbus's postinst does exactly this on Debian 12. */
export const ASK_FOR_REBOOT =
  'touch /var/run/reboot-required\ngrep -Fqsx "$DPKG_MAINTSCRIPT_PACKAGE" /var/run/reboot-required.pkgs || echo "$DPKG_MAINTSCRIPT_PACKAGE" >> /var/run/reboot-required.pkgs\n';

function buildDeb(work: string, p: TestPackage): Buffer {
  const root = join(work, `${p.name}-${p.version}`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr/share/doc", p.name), { recursive: true });
  writeFileSync(join(root, "usr/share/doc", p.name, "VERSION"), `${p.version}\n`);
  writeFileSync(
    join(root, "DEBIAN/control"),
    `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: all\nMaintainer: VPN test hosts <tests@example.test>\nPriority: optional\nSection: misc\nDescription: test-only package of the VPN hosts tier\n`,
  );
  if (p.postinst) writeFileSync(join(root, "DEBIAN/postinst"), `#!/bin/sh\nset -e\n${p.postinst}`, { mode: 0o755 });
  const out = join(work, `${p.name}_${p.version}_all.deb`);
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root, out], { stdio: "ignore" });
  return readFileSync(out);
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * Files (path on the host -> content) for a clone: `installed` as .debs under
 * INSTALLED_DIR, `updates` as an archive labelled like Debian's security archive
 * for `codename` (bookworm), and the apt source for it ([trusted=yes]: unsigned).
 */
export function testArchiveFiles(
  installed: TestPackage[],
  updates: TestPackage[],
  codename = "bookworm",
): Record<string, { content: Buffer | string; mode: number }> {
  const work = mkdtempSync(join(tmpdir(), "vh-archive-"));
  try {
    const files: Record<string, { content: Buffer | string; mode: number }> = {};
    for (const p of installed) files[`${INSTALLED_DIR}/${p.name}_${p.version}_all.deb`.slice(1)] = { content: buildDeb(work, p), mode: 0o644 };
    const suite = `${codename}-security`;
    let packages = "";
    for (const p of updates) {
      const deb = buildDeb(work, p);
      const filename = `pool/${p.name}_${p.version}_all.deb`;
      files[`${ARCHIVE_DIR}/${filename}`.slice(1)] = { content: deb, mode: 0o644 };
      const control = execFileSync("dpkg-deb", ["-f", join(work, `${p.name}_${p.version}_all.deb`)], { encoding: "utf8" }).trimEnd();
      packages += `${control}\nFilename: ${filename}\nSize: ${deb.length}\nSHA256: ${sha256(deb)}\n\n`;
    }
    const index = `main/binary-amd64/Packages`;
    files[`${ARCHIVE_DIR}/dists/${suite}/${index}`.slice(1)] = { content: packages, mode: 0o644 };
    files[`${ARCHIVE_DIR}/dists/${suite}/Release`.slice(1)] = {
      content: [
        "Origin: Debian",
        "Label: Debian-Security",
        `Suite: ${suite}`,
        `Codename: ${suite}`,
        "Architectures: amd64",
        "Components: main",
        "Date: Mon, 07 Dec 2026 00:00:00 UTC",
        "SHA256:",
        ` ${sha256(packages)} ${Buffer.byteLength(packages)} ${index}`,
        "",
      ].join("\n"),
      mode: 0o644,
    };
    files[ARCHIVE_SOURCE.slice(1)] = { content: `deb [trusted=yes] file:${ARCHIVE_DIR} ${suite} main\n`, mode: 0o644 };
    return files;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
