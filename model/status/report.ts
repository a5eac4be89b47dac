// A region's status as `npm run status --json` prints it (the shape: ./document.ts):
// the server's facts (./parse.ts) next to what the stack holds. Pure: the clock and
// the renewal window are inputs.
import { X509Certificate } from "node:crypto";
import type { Counters, IkeSaFacts, ServerFacts } from "./parse";
import type { CertificateInfo, RegionStatus, SessionStatus, UserStatus } from "./document";
import { PATHS } from "../server/files";
import { DAY_MS } from "../time";

export interface StackRegion {
  region: string;
  hostname?: string;
  host: string;
  certificateNotAfter?: string;
}

export interface ReportOptions {
  /** How long before notAfter renewal is due (components/acme/renewal.ts renewalWindowMs). */
  renewalWindowMs: (notBefore: Date, notAfter: Date) => number;
}

function certificateInfo(cert: X509Certificate, nowMs: number): CertificateInfo {
  const notAfter = new Date(cert.validTo);
  return {
    // Node prints RDNs one per line; one line reads better and is what openssl -nameopt oneline-ish shows.
    subject: cert.subject.split("\n").join(", "),
    issuer: cert.issuer.split("\n").join(", "),
    dnsNames: (cert.subjectAltName ?? "")
      .split(", ")
      .filter((s) => s.startsWith("DNS:"))
      .map((s) => s.slice(4)),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - nowMs) / DAY_MS),
    sha256: cert.fingerprint256,
  };
}

/** A region that could not be read: reachable false with the reason. */
export function unreachableRegion(r: StackRegion, error: string): RegionStatus {
  return {
    region: r.region,
    hostname: r.hostname ?? null,
    host: r.host,
    reachable: false,
    error,
    checkedAt: null,
    uptimeSeconds: null,
    system: null,
    strongswan: null,
    pools: null,
    certificate: null,
    users: null,
    connectingSas: null,
    updates: null,
    warnings: [],
  };
}

function session(sa: IkeSaFacts, nowMs: number): SessionStatus {
  const v4 = sa.remoteVips.find((v) => !v.includes(":")) ?? null;
  const v6 = sa.remoteVips.find((v) => v.includes(":")) ?? null;
  const children = sa.children.map((c) => ({
    name: c.name,
    state: c.state,
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    packetsIn: c.packetsIn,
    packetsOut: c.packetsOut,
    sinceRekeySeconds: c.installedSeconds ?? null,
  }));
  const sum = (k: keyof Counters) => children.reduce((n, c) => n + c[k], 0);
  const ages = [sa.establishedSeconds, ...sa.children.map((c) => c.installedSeconds)].filter((x): x is number => x !== undefined);
  return {
    remoteAddress: sa.remoteHost,
    remotePort: sa.remotePort ?? null,
    virtualIpv4: v4,
    virtualIpv6: v6,
    connectedSince: sa.establishedSeconds !== undefined ? new Date(nowMs - sa.establishedSeconds * 1000).toISOString() : null,
    connectedSeconds: sa.establishedSeconds ?? null,
    sinceRekeySeconds: ages.length ? Math.min(...ages) : null,
    ikeState: sa.state,
    bytesIn: sum("bytesIn"),
    bytesOut: sum("bytesOut"),
    packetsIn: sum("packetsIn"),
    packetsOut: sum("packetsOut"),
    children,
  };
}

function usersOf(sas: IkeSaFacts[], nowMs: number): UserStatus[] {
  const byUser = new Map<string, SessionStatus[]>();
  for (const sa of sas.filter((s) => s.state === "ESTABLISHED")) {
    const list = byUser.get(sa.user) ?? [];
    list.push(session(sa, nowMs));
    byUser.set(sa.user, list);
  }
  return [...byUser.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([user, sessions]) => {
      sessions.sort((a, b) => (b.connectedSeconds ?? 0) - (a.connectedSeconds ?? 0));
      const t = (k: keyof Counters) => sessions.reduce((n, s) => n + s[k], 0);
      return {
        user,
        sessions,
        totals: { sessions: sessions.length, bytesIn: t("bytesIn"), bytesOut: t("bytesOut"), packetsIn: t("packetsIn"), packetsOut: t("packetsOut") },
      };
    });
}

/** "2026-12-01 06:25:01,123 INFO ..." in the server's zone `tz` ("+0100") -> ISO 8601 UTC. */
export function logTimestamp(line: string, tz: string): string | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/.exec(line);
  if (!m) return null;
  const zone = `${tz.slice(0, 3)}:${tz.slice(3)}`;
  const d = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function logMessage(line: string): string {
  return line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,\d+)? (\w+ )?/, "").slice(0, 200);
}

/** A newer installed kernel than the running one (sort -V on the server: the last is the newest). */
function kernelReboot(f: ServerFacts): string | undefined {
  const newest = f.kernelsInstalled[f.kernelsInstalled.length - 1];
  // Only when the running kernel is one of the installed ones: a provider-supplied kernel says nothing.
  if (newest && f.kernelRunning && f.kernelsInstalled.includes(f.kernelRunning) && newest !== f.kernelRunning)
    return `kernel ${newest} (running ${f.kernelRunning})`;
  return undefined;
}

function parseCert(pemOrDer: string | Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(pemOrDer);
  } catch {
    return undefined;
  }
}

/** The region's status from the server's facts and the stack's view. */
export function regionStatus(r: StackRegion, f: ServerFacts, opts: ReportOptions): RegionStatus {
  const nowMs = f.now * 1000;
  const warnings: string[] = [];
  const charonRunning = f.viciError === undefined;
  if (!charonRunning) warnings.push(`charon does not answer (${f.viciError}); strongswan service: ${f.service}`);

  // Certificate: what charon presents (the loaded X.509 with a private key), else the file.
  const loaded = f.loadedCerts
    .filter((c) => c.hasPrivateKey)
    .map((c) => parseCert(c.der))
    .find((c): c is X509Certificate => !!c);
  const file = f.certFilePem ? parseCert(f.certFilePem) : undefined;
  const served = loaded ?? file;
  let certificate: RegionStatus["certificate"] = null;
  if (served || r.certificateNotAfter) {
    const info = served ? certificateInfo(served, nowMs) : null;
    const renewAt = served ? new Date(new Date(served.validTo).getTime() - opts.renewalWindowMs(new Date(served.validFrom), new Date(served.validTo))) : null;
    const stackNotAfter = r.certificateNotAfter ? new Date(r.certificateNotAfter) : null;
    const matchesStack = info && stackNotAfter && !Number.isNaN(stackNotAfter.getTime()) ? info.notAfter === stackNotAfter.toISOString() : null;
    const fileMatchesLoaded = loaded && file ? loaded.fingerprint256 === file.fingerprint256 : null;
    certificate = {
      served: info,
      servedFrom: loaded ? "charon" : file ? "file" : null,
      fileMatchesLoaded,
      stackNotAfter: stackNotAfter && !Number.isNaN(stackNotAfter.getTime()) ? stackNotAfter.toISOString() : (r.certificateNotAfter ?? null),
      matchesStack,
      renewAt: renewAt ? renewAt.toISOString() : null,
      inRenewalWindow: renewAt ? nowMs >= renewAt.getTime() : null,
    };
    if (!info) warnings.push(`no server certificate found (neither loaded in charon nor ${PATHS.serverCert})`);
    else {
      if (info.daysLeft < 0) warnings.push(`the served certificate EXPIRED on ${info.notAfter}`);
      else if (certificate.inRenewalWindow)
        warnings.push(`the served certificate expires in ${info.daysLeft} days (${info.notAfter}): inside the renewal window, run \`pulumi up\``);
      if (matchesStack === false)
        warnings.push(
          `the server serves a certificate valid until ${info.notAfter}, the stack holds one valid until ${certificate.stackNotAfter}: run \`pulumi up\``,
        );
      if (r.hostname && !info.dnsNames.includes(r.hostname))
        warnings.push(`the served certificate does not name ${r.hostname} (it names ${info.dnsNames.join(", ") || "no DNS name"})`);
      if (fileMatchesLoaded === false) warnings.push("the certificate file differs from the one charon loaded: a reload is pending or failed");
    }
  }

  // Updates.
  const aptKnown = f.apt.state === "ok";
  const security = f.apt.upgradable
    .filter((p) => p.security)
    .map((p) => p.name)
    .sort();
  const kernel = kernelReboot(f);
  const rebootReasons = [...f.rebootPackages, ...(kernel ? [kernel] : [])];
  const rebootRequired = f.rebootRequiredFile === true || kernel !== undefined ? true : f.rebootRequiredFile === false ? false : null;
  const uu = f.unattendedUpgrades;
  const lastRun = uu.startLine ? logTimestamp(uu.startLine, f.tz) : null;
  if (aptKnown && security.length)
    warnings.push(`${security.length} security update(s) pending: ${security.slice(0, 8).join(", ")}${security.length > 8 ? ", ..." : ""}`);
  if (rebootRequired) warnings.push(`reboot required${rebootReasons.length ? ` (${rebootReasons.join(", ")})` : ""}`);

  return {
    region: r.region,
    hostname: r.hostname ?? null,
    host: r.host,
    reachable: true,
    error: null,
    checkedAt: new Date(nowMs).toISOString(),
    uptimeSeconds: f.uptimeSeconds ?? null,
    system: { os: f.os ?? null, kernel: f.kernelRunning ?? null, kernelsInstalled: [...f.kernelsInstalled] },
    strongswan: {
      version: f.version?.version || null,
      charonRunning,
      service: f.service || null,
      error: f.viciError ?? null,
      ikeSas: f.stats?.ikeSas ?? null,
      halfOpenIkeSas: f.stats?.halfOpen ?? null,
    },
    pools: charonRunning ? f.pools.map((p) => ({ ...p })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : null,
    certificate,
    users: charonRunning ? usersOf(f.sas, nowMs) : null,
    connectingSas: charonRunning ? f.sas.filter((s) => s.state !== "ESTABLISHED").length : null,
    updates: {
      pending: aptKnown ? f.apt.upgradable.length : null,
      security: aptKnown ? security.length : null,
      securityPackages: aptKnown ? security : [],
      listsUpdatedAt: f.apt.listsUpdatedAt !== undefined ? new Date(f.apt.listsUpdatedAt * 1000).toISOString() : null,
      rebootRequired,
      rebootReasons,
      unattendedUpgrades: {
        installed: uu.installed ?? null,
        lastRun,
        lastRunResult: uu.lastLine ? logMessage(uu.lastLine) : null,
      },
    },
    warnings,
  };
}

/** Whether the region is fine for the exit code: reached and charon answering. */
export function regionHealthy(s: RegionStatus): boolean {
  return s.reachable && s.strongswan?.charonRunning === true;
}
