// What keeps a server that is left alone for months in shape: an sshd drop-in
// (key-only root login, little to guess at) and unattended security upgrades with
// a reboot, when one is needed, only inside the maintenance window.
import { template } from "../../templates";
import type { Image } from "../types";

export const HARDENING_PATHS = {
  /** sshd reads sshd_config.d in name order and keeps the first value: "00-" comes first. */
  sshdDropIn: "/etc/ssh/sshd_config.d/00-vpn-hardening.conf",
  /** After the package's 50unattended-upgrades and debconf's 20auto-upgrades: the later value wins. */
  unattendedUpgrades: "/etc/apt/apt.conf.d/52vpn-unattended-upgrades",
  upgradeTimer: "/etc/systemd/system/apt-daily-upgrade.timer.d/50-vpn-maintenance-window.conf",
} as const;

/** Seconds an unauthenticated connection may take to log in, and key attempts per connection. */
const SSH_LIMITS = { loginGraceSeconds: 30, maxAuthTries: 3 } as const;

/** The timer may start up to this late (systemd spreads the mirror load), still inside the window. */
const UPGRADE_RANDOM_DELAY_MINUTES = 10;

/**
 * Origins unattended-upgrade installs from, as Origins-Pattern entries
 * (unattended-upgrades README: "origin=...,codename=...,label=..."; the
 * ${distro_codename} macro is expanded by unattended-upgrade itself).
 * Debian: the security archive and point releases (the stable suite itself).
 * Ubuntu: -security and -updates (Ubuntu's stable release updates).
 */
export function upgradeOrigins(image: Image): string[] {
  return image === "linode/ubuntu24.04"
    ? ["origin=Ubuntu,archive=${distro_codename}-security", "origin=Ubuntu,archive=${distro_codename}-updates"]
    : ["origin=Debian,codename=${distro_codename},label=Debian", "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"];
}

export function renderSshdDropIn(): string {
  return template("sshd-hardening.conf.ejs")({ ...SSH_LIMITS });
}

export function renderUnattendedUpgrades(image: Image): string {
  return template("unattended-upgrades.conf.ejs")({ origins: upgradeOrigins(image) });
}

export function renderUpgradeTimer(maintenanceWindow: string): string {
  return template("apt-daily-upgrade-window.conf.ejs")({ window: maintenanceWindow, randomDelayMinutes: UPGRADE_RANDOM_DELAY_MINUTES });
}
