// The human view of `npm run status`: per region a few summary lines, a table of
// connected users (one row per session, a total row for users with several), and
// the warnings. Pure text; --json prints the document itself.
import { timeUntil, utcMinute } from "../expiryWarnings";
import type { RegionStatus, StatusDocument, UserStatus } from "./document";
import type { UserConfigStatus } from "./stackUsers";
import type { RegionUsage, UsageTotals } from "./usage";

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "?";
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Columns padded to their widest cell (the last column is not padded). */
export function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}

const unknown = (v: unknown) => (v === null || v === undefined ? "unknown" : String(v));
const day = (iso: string | null) => (iso ? iso.replace(/T(\d\d:\d\d).*$/, " $1 UTC") : "unknown");

function userRows(users: UserStatus[]): string[][] {
  const rows: string[][] = [["USER", "DEVICE", "VIRTUAL IPV4", "VIRTUAL IPV6", "CONNECTED", "REKEYED", "IN", "OUT"]];
  const traffic = (bytes: number, packets: number) => `${formatBytes(bytes)} / ${packets} pkt`;
  for (const u of users) {
    for (const s of u.sessions) {
      rows.push([
        u.user,
        s.remotePort !== null ? `${s.remoteAddress.includes(":") ? `[${s.remoteAddress}]` : s.remoteAddress}:${s.remotePort}` : s.remoteAddress,
        s.virtualIpv4 ?? "-",
        s.virtualIpv6 ?? "-",
        formatDuration(s.connectedSeconds),
        `${formatDuration(s.sinceRekeySeconds)} ago`,
        traffic(s.bytesIn, s.packetsIn),
        traffic(s.bytesOut, s.packetsOut),
      ]);
    }
    if (u.sessions.length > 1)
      rows.push([
        `${u.user} (total)`,
        `${u.totals.sessions} sessions`,
        "",
        "",
        "",
        "",
        traffic(u.totals.bytesIn, u.totals.packetsIn),
        traffic(u.totals.bytesOut, u.totals.packetsOut),
      ]);
  }
  return rows;
}

function renderRegion(r: RegionStatus): string {
  const out: string[] = [];
  out.push(`${r.region}  ${r.hostname ?? "?"}  ${r.host}  ${r.reachable ? `reachable, up ${formatDuration(r.uptimeSeconds)}` : "NOT REACHABLE"}`);
  if (!r.reachable) {
    out.push(`  ${r.error}`);
    return out.join("\n");
  }
  if (r.system?.os || r.system?.kernel) out.push(`  ${r.system.os ?? "unknown OS"}, kernel ${r.system.kernel ?? "?"}`);
  const sw = r.strongswan;
  if (sw)
    out.push(
      `  strongSwan ${sw.version ?? "?"}: charon ${sw.charonRunning ? "running" : "NOT ANSWERING"} (service ${unknown(sw.service)})${sw.ikeSas !== null ? `, ${sw.ikeSas} IKE_SA(s)` : ""}${sw.halfOpenIkeSas ? `, ${sw.halfOpenIkeSas} half-open` : ""}`,
    );
  if (r.pools)
    out.push(
      `  pools: ${r.pools.map((p) => `${p.name} ${p.online}/${p.size} in use${p.offline ? ` (${p.offline} offline)` : ""}`).join(", ") || "none loaded"}`,
    );
  const c = r.certificate;
  if (c?.served) {
    const stack =
      c.matchesStack === null
        ? `stack: ${c.stackNotAfter ? day(c.stackNotAfter) : "unknown"}`
        : c.matchesStack
          ? "same as the stack"
          : `stack holds one until ${day(c.stackNotAfter)}`;
    out.push(`  certificate: ${c.served.subject}, issuer ${c.served.issuer}; until ${day(c.served.notAfter)} (${c.served.daysLeft} days left); ${stack}`);
  } else if (c) out.push(`  certificate: none found on the server; stack: ${day(c.stackNotAfter)}`);
  const up = r.updates;
  if (up) {
    const pending = up.pending === null ? "updates: unknown" : `updates: ${up.pending} pending (${up.security} security)`;
    const reboot = `reboot required: ${up.rebootRequired === null ? "unknown" : up.rebootRequired ? "YES" : "no"}`;
    const uu = up.unattendedUpgrades;
    const auto =
      uu.installed === false
        ? "unattended-upgrades: not installed"
        : `unattended-upgrades last run: ${uu.lastRun ? `${day(uu.lastRun)}${uu.lastRunResult ? ` (${uu.lastRunResult})` : ""}` : "unknown"}`;
    out.push(`  ${pending}; ${reboot}; ${auto}`);
  }
  if (r.users === null) out.push("  users: unknown (charon did not answer)");
  else if (r.users.length === 0) out.push(`  nobody connected${r.connectingSas ? ` (${r.connectingSas} connecting)` : ""}`);
  else {
    out.push(`  ${r.users.length} user(s) connected${r.connectingSas ? `, ${r.connectingSas} connecting` : ""}:`);
    for (const line of columns(userRows(r.users))) out.push(`    ${line}`);
  }
  if (r.usage !== undefined) out.push(...usageLines(r.usage));
  for (const w of r.warnings) out.push(`  ! ${w}`);
  return out.join("\n");
}

/** Decimal gigabytes, the unit of monthlyQuotaGB. */
function formatGB(bytes: number): string {
  const gb = bytes / 1e9;
  return `${gb < 10 ? gb.toFixed(2) : gb < 100 ? gb.toFixed(1) : gb.toFixed(0)} GB`;
}

function usageLines(u: RegionUsage | null): string[] {
  if (u === null) return ["  usage: none (see the warning below)"];
  if (u.users.length === 0) return [`  usage (UTC, today ${u.today}, month ${u.month}): none recorded`];
  const t = (x: UsageTotals) => [formatBytes(x.bytesIn), formatBytes(x.bytesOut), formatDuration(x.seconds)];
  const rows = [["USER", "DEVICES", "TODAY IN", "TODAY OUT", "TODAY TIME", "MONTH IN", "MONTH OUT", "MONTH TIME", "MONTHLY QUOTA"]];
  for (const x of u.users) {
    const quota =
      x.monthlyQuotaBytes === null ? "-" : `${formatGB(x.month.bytesIn + x.month.bytesOut)} of ${formatGB(x.monthlyQuotaBytes)} (${x.quotaUsedPercent}%)`;
    rows.push([x.user, String(x.sessions), ...t(x.today), ...t(x.month), quota]);
  }
  return [`  usage (UTC, today ${u.today}, month ${u.month}; IN: from the devices, TIME: summed over devices):`, ...columns(rows).map((l) => `    ${l}`)];
}

export interface UsersTableOptions {
  /** An extra PASSWORD column (npm run users -- list). */
  password?: (user: string) => string;
}

/** The stack's users with expiry, device limit, quota and state, one row each. */
export function renderUsersTable(users: UserConfigStatus[], now: Date, opts: UsersTableOptions = {}): string {
  if (users.length === 0) return "no users in vpn:users\n";
  const rows = [["USER", "EXPIRES", "DEVICES", "MONTHLY QUOTA", "STATE", ...(opts.password ? ["PASSWORD"] : [])]];
  for (const u of users) {
    const left = u.expires === null ? 0 : Date.parse(u.expires) - now.getTime();
    const expires = u.expires === null ? "-" : `${utcMinute(u.expires)} (${u.expired ? "passed" : timeUntil(left)})`;
    const state = u.disabled ? "disabled" : u.expired ? "EXPIRED" : "active";
    rows.push([
      u.user,
      expires,
      u.maxDevices === null ? "unlimited" : String(u.maxDevices),
      u.monthlyQuotaGB === null ? "-" : `${u.monthlyQuotaGB} GB`,
      state,
      ...(opts.password ? [opts.password(u.user)] : []),
    ]);
  }
  return `${columns(rows).join("\n")}\n`;
}

export function renderStatusTable(doc: StatusDocument, now: Date = new Date()): string {
  const regions = `${doc.regions.map(renderRegion).join("\n\n")}\n`;
  if (doc.users === undefined && doc.warnings === undefined) return regions;
  const users =
    doc.users === undefined
      ? []
      : [
          "users (stack config, times in UTC):",
          ...renderUsersTable(doc.users, now)
            .trimEnd()
            .split("\n")
            .map((l) => `  ${l}`),
        ];
  const warnings = (doc.warnings ?? []).map((w) => `  ! ${w}`);
  return `${regions}\n${[...users, ...warnings].join("\n")}\n`;
}
