// User lifecycle on the server: expiry, device limits, monthly quotas, suspension
// and usage that survives restarts. On only when a stack uses one of them (or
// vpn:accounting): a stack without them renders exactly what it did before.
//
// Design: strongSwan's eap-radius plugin asks FreeRADIUS (Debian's freeradius,
// on loopback) instead of checking EAP secrets itself. Both are the standard,
// maintained parts for this (strongSwan docs, "eap-radius plugin"):
//  - FreeRADIUS checks EAP-MSCHAPv2 against the users file, refuses expired
//    (Expiration), suspended (Auth-Type := Reject) and over-quota users
//    (sqlcounter), and extra devices (Simultaneous-Use, counted from the open
//    accounting rows in SQLite);
//  - charon sends accounting (Start, Interim-Update every interimSeconds, Stop)
//    with byte counters, which SQLite triggers sum per user and UTC day;
//  - charon's RFC 5176 Dynamic Authorization (DAE) listens on loopback for a
//    Disconnect-Request naming a user, and deletes every IKE_SA of that user.
// Neither daemon has a timer that ends a session when a date passes or a quota
// fills mid-session, so a systemd timer runs `vpn-aaa enforce` every minute: it
// sends the Disconnect-Request for expired and over-quota users with live
// sessions, closes accounting rows a crash left open, and writes the Prometheus
// textfile. That script (templates/aaa/vpn-aaa.sh.ejs) is the only own code.
import { template } from "../../templates";
import { radiusSingleQuoted, swanString } from "../escape";
import type { UserSpec, VpnConfig } from "../types";

export const AAA_DIR = "/etc/vpn-radius";
export const AAA_DATA_DIR = "/var/lib/vpn-radius";

export const AAA_PATHS = {
  radiusdConf: `${AAA_DIR}/radiusd.conf`,
  clientsConf: `${AAA_DIR}/clients.conf`,
  dictionary: `${AAA_DIR}/dictionary`,
  radiusUsers: `${AAA_DIR}/users`,
  radiusAcctUsers: `${AAA_DIR}/users-accounting`,
  schema: `${AAA_DIR}/schema.sql`,
  /** "name expires-epoch quota-bytes" per user ("-" for none): what vpn-aaa enforces. */
  policy: `${AAA_DIR}/policy`,
  /** The shared secret alone, for radclient -S (never on a command line). */
  daeSecret: `${AAA_DIR}/dae-secret`,
  database: `${AAA_DATA_DIR}/radius.sqlite`,
  script: "/usr/local/sbin/vpn-aaa",
  service: "/etc/systemd/system/vpn-aaa.service",
  timer: "/etc/systemd/system/vpn-aaa.timer",
  freeradiusDropIn: "/etc/systemd/system/freeradius.service.d/vpn.conf",
  /** Closes the accounting rows a crash or power loss left open, before charon starts (no SA survives a restart). */
  strongswanDropIn: "/etc/systemd/system/strongswan.service.d/vpn-aaa.conf",
  /** prometheus-node-exporter's textfile directory on Debian (its --collector.textfile.directory). */
  metrics: "/var/lib/prometheus/node-exporter/vpn.prom",
} as const;

/** Debian packages the lifecycle needs (sqlite3: the apply step and vpn-aaa read and keep the database). */
export const AAA_PACKAGES = ["freeradius", "freeradius-utils", "sqlite3"] as const;

export const RADIUS = {
  authPort: 1812,
  acctPort: 1813,
  /** charon's DAE port (RFC 5176's 3799), bound to 127.0.0.1 only. */
  daePort: 3799,
  /** Interim accounting: how stale usage (and so a quota check) can be. */
  interimSeconds: 60,
  /** An open accounting row not updated for this long belongs to a session a crash or power loss ended. */
  staleAfterSeconds: 300,
  /** How often vpn-aaa enforce runs (systemd OnCalendar). */
  enforceCalendar: "*-*-* *:*:00",
} as const;

/** Whether the stack uses the lifecycle (and so the RADIUS path). */
export function aaaEnabled(config: Pick<VpnConfig, "users" | "maxDevicesPerUser" | "accounting">): boolean {
  return (
    config.accounting === true ||
    config.maxDevicesPerUser !== undefined ||
    config.users.some((u) => u.expires !== undefined || u.maxDevices !== undefined || u.monthlyQuotaGB !== undefined || u.disabled === true)
  );
}

function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

function quotaBytes(gb: number): number {
  return Math.round(gb * 1e9);
}

/** The device limit in force for a user, if any. */
function deviceLimit(user: UserSpec, perUser: number | undefined): number | undefined {
  return user.maxDevices ?? perUser;
}

/**
 * FreeRADIUS users file (rlm_files): one entry per user, check items only. A
 * suspended user keeps the password line (so re-enabling changes one attribute).
 */
export function renderRadiusUsers(users: UserSpec[], passwords: Record<string, string>, perUser: number | undefined): string {
  const entries = users.map((u) => {
    const password = passwords[u.name];
    if (password === undefined) throw new Error(`no password for user ${u.name}`);
    const items = [`Cleartext-Password := ${radiusSingleQuoted(password)}`];
    if (u.disabled) items.push("Auth-Type := Reject");
    if (u.expires) items.push(`Expiration := ${epochSeconds(u.expires)}`);
    const limit = deviceLimit(u, perUser);
    if (limit !== undefined) items.push(`Simultaneous-Use := ${limit}`);
    if (u.monthlyQuotaGB !== undefined) items.push(`Vpn-Monthly-Quota := ${quotaBytes(u.monthlyQuotaGB)}`);
    return `${radiusSingleQuoted(u.name)} ${items.join(", ")}\n`;
  });
  return `# Managed by Pulumi (vpn:index:VpnRegion). The VPN's users (model/server/aaa.ts).\n${entries.join("")}`;
}

/** What vpn-aaa enforces between deploys: "name expires quota" ("-" = none), suspended users left out (they cannot log in). */
export function renderPolicy(users: UserSpec[]): string {
  const lines = users
    .filter((u) => !u.disabled && (u.expires !== undefined || u.monthlyQuotaGB !== undefined))
    .map((u) => `${u.name} ${u.expires ? epochSeconds(u.expires) : "-"} ${u.monthlyQuotaGB !== undefined ? quotaBytes(u.monthlyQuotaGB) : "-"}\n`);
  return `# name expires-epoch monthly-quota-bytes\n${lines.join("")}`;
}

/** The eap-radius block of zz-vpn.conf (strongswan.conf reference, charon.plugins.eap-radius). */
export function strongswanRadiusSettings(secret: string): string {
  return template("aaa/eap-radius.conf.ejs")({ radius: RADIUS, secret: swanString(secret) });
}

export interface AaaFile {
  path: string;
  mode: string;
  secret: boolean;
  content: string;
}

export function renderAaaFiles(config: VpnConfig, passwords: Record<string, string>, radiusSecret: string): AaaFile[] {
  const p = AAA_PATHS;
  return [
    {
      path: p.radiusdConf,
      mode: "644",
      secret: false,
      content: template("aaa/radiusd.conf.ejs")({ dir: AAA_DIR, dataDir: AAA_DATA_DIR, authPort: RADIUS.authPort, acctPort: RADIUS.acctPort }),
    },
    { path: p.clientsConf, mode: "640", secret: true, content: template("aaa/clients.conf.ejs")({ secret: radiusSingleQuoted(radiusSecret) }) },
    { path: p.dictionary, mode: "644", secret: false, content: template("aaa/dictionary.ejs")({}) },
    { path: p.radiusUsers, mode: "640", secret: true, content: renderRadiusUsers(config.users, passwords, config.maxDevicesPerUser) },
    {
      path: p.radiusAcctUsers,
      mode: "644",
      secret: false,
      content: "# Managed by Pulumi (vpn:index:VpnRegion). Nothing: accounting needs no per-user rules.\n",
    },
    { path: p.schema, mode: "644", secret: false, content: template("aaa/schema.sql")({}) },
    { path: p.policy, mode: "644", secret: false, content: renderPolicy(config.users) },
    { path: p.daeSecret, mode: "600", secret: true, content: `${radiusSecret}\n` },
    { path: p.script, mode: "755", secret: false, content: template("aaa/vpn-aaa.sh.ejs")({ paths: p, radius: RADIUS }) },
    { path: p.service, mode: "644", secret: false, content: template("aaa/vpn-aaa.service.ejs")({ script: p.script }) },
    { path: p.timer, mode: "644", secret: false, content: template("aaa/vpn-aaa.timer.ejs")({ calendar: RADIUS.enforceCalendar }) },
    { path: p.freeradiusDropIn, mode: "644", secret: false, content: template("aaa/freeradius-dropin.conf.ejs")({ dir: AAA_DIR, dataDir: AAA_DATA_DIR }) },
    { path: p.strongswanDropIn, mode: "644", secret: false, content: template("aaa/strongswan-dropin.conf.ejs")({ script: p.script }) },
  ];
}
