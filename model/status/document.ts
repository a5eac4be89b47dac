// The document `npm run status -- --json` prints: its schema version and the shape
// of every field. Field names are a documented interface (README, "Who is online:
// npm run status"; docs/operations.md shows an example): add fields, never rename or
// remove one. ./report.ts fills it in from the server's facts (./parse.ts).
import type { Counters, PoolFacts } from "./parse";
import type { UserConfigStatus } from "./stackUsers";
import type { RegionUsage } from "./usage";

/** JSON schema version of the whole document (`schema`); bumped only on an incompatible change. */
export const STATUS_SCHEMA = 1;

export interface CertificateInfo {
  subject: string;
  issuer: string;
  dnsNames: string[];
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  sha256: string;
}

/** Bytes and packets in and out. */
export interface ChildStatus extends Counters {
  name: string;
  state: string;
  /** Seconds since the CHILD_SA was installed, i.e. since its last rekey. */
  sinceRekeySeconds: number | null;
}

/** The counters are the sums over the session's CHILD_SAs. */
export interface SessionStatus extends Counters {
  /** The device's public address and source port as the server sees them. */
  remoteAddress: string;
  remotePort: number | null;
  virtualIpv4: string | null;
  virtualIpv6: string | null;
  /** When the current IKE_SA was established (server clock); an IKE rekey or reconnect restarts it. */
  connectedSince: string | null;
  connectedSeconds: number | null;
  /** Seconds since the latest rekey of the IKE_SA or any of its CHILD_SAs. */
  sinceRekeySeconds: number | null;
  ikeState: string;
  children: ChildStatus[];
}

export interface UserStatus {
  user: string;
  sessions: SessionStatus[];
  totals: Counters & { sessions: number };
}

/** An address pool: name, base address, size, leases online and offline. */
export type PoolStatus = PoolFacts;

export interface RegionStatus {
  region: string;
  hostname: string | null;
  host: string;
  reachable: boolean;
  /** Why the region could not be read (unreachable, host key refused, output unreadable); null when reachable. */
  error: string | null;
  /** The server's clock when it answered (ISO 8601). */
  checkedAt: string | null;
  uptimeSeconds: number | null;
  /** The operating system and kernels (installed versions, for the operator). */
  system: { os: string | null; kernel: string | null; kernelsInstalled: string[] } | null;
  strongswan: {
    version: string | null;
    /** charon answered over vici. */
    charonRunning: boolean;
    /** `systemctl is-active strongswan`. */
    service: string | null;
    /** Why charon did not answer, when it did not. */
    error: string | null;
    ikeSas: number | null;
    halfOpenIkeSas: number | null;
  } | null;
  pools: PoolStatus[] | null;
  certificate: {
    /** The certificate charon holds a private key for (what it presents), else the file. */
    served: CertificateInfo | null;
    servedFrom: "charon" | "file" | null;
    /** The file on disk is the one charon loaded (false: a reload is pending or failed). */
    fileMatchesLoaded: boolean | null;
    /** certificateNotAfter from the stack outputs. */
    stackNotAfter: string | null;
    /** The served certificate's notAfter equals the stack's. */
    matchesStack: boolean | null;
    /** When renewal is due for the served certificate (the program's default window). */
    renewAt: string | null;
    inRenewalWindow: boolean | null;
  } | null;
  /** Connected users (established IKE_SAs), by name; null when charon could not be asked. */
  users: UserStatus[] | null;
  /** IKE_SAs not (yet) established: handshakes in progress or failing. */
  connectingSas: number | null;
  updates: {
    /** Upgradable packages per apt's current lists; null = unknown. */
    pending: number | null;
    security: number | null;
    securityPackages: string[];
    /** When apt's package lists were last updated (ISO 8601). */
    listsUpdatedAt: string | null;
    rebootRequired: boolean | null;
    /** Why: packages from /var/run/reboot-required.pkgs, or "kernel <newer>". */
    rebootReasons: string[];
    unattendedUpgrades: {
      installed: boolean | null;
      /** Start of the latest unattended-upgrades run (ISO 8601), null = none logged or unknown. */
      lastRun: string | null;
      /** The last log line of that run, without timestamp. */
      lastRunResult: string | null;
    };
  } | null;
  warnings: string[];
  /**
   * Only with --usage (docs/usage.md): the usage this server keeps per user and UTC
   * day; null when it keeps none (no lifecycle on the stack) or could not be read.
   */
  usage?: RegionUsage | null;
}

export interface StatusDocument {
  schema: number;
  stack: string | null;
  regions: RegionStatus[];
  /**
   * The users from the stack config with their expiry, state, device limit and quota
   * (docs/usage.md); present when the stack uses any lifecycle field, or with --usage.
   */
  users?: UserConfigStatus[];
  /** With `users`: expiry warnings (model/expiryWarnings.ts) and config problems. */
  warnings?: string[];
}
