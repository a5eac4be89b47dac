// The remote provisioning steps, in order: the exact command text each
// @pulumi/command step runs, and the stdin it gets. Pure.
import { createHash } from "node:crypto";
import { template } from "../templates";
import { PATHS, ServerFile } from "./server/files";
import { upgradeOrigins } from "./server/hardening";
import { AAA_DATA_DIR, AAA_DIR, AAA_PACKAGES, AAA_PATHS } from "./server/aaa";
import { SHARE_PACKAGES, SHARE_PATHS } from "./server/share";

export const SERVER_PACKAGES = [
  "charon-systemd",
  "strongswan-swanctl",
  "libcharon-extauth-plugins",
  "libcharon-extra-plugins",
  "libstrongswan-standard-plugins",
  "libstrongswan-extra-plugins",
  "nftables",
  // Security updates without anyone (model/server/hardening.ts); preinstalled on most images.
  "unattended-upgrades",
  // The clients' validating resolver (model/server/resolver.ts), and the root's DNSSEC
  // trust anchor it starts from (only a Recommends of unbound, which --no-install-recommends skips).
  "unbound",
  "dns-root-data",
] as const;

export interface RemoteStep {
  /** Stable name, also the Pulumi resource name suffix. */
  name: "wait-ready" | "install-packages" | "push-files" | "apply";
  script: string;
  /** Data piped to the script; secret when it carries secret files. */
  stdin?: string;
  /** Whether stdin/script carry secrets: such steps log nothing. */
  secret: boolean;
}

const PENDING = `${PATHS.stateDir}/pending-changes`;
const MANIFEST = `${PATHS.stateDir}/manifest`;
/** Written by install-packages once a new server has its pending updates (or was provisioned before that existed). */
export const UPGRADE_MARKER = `${PATHS.stateDir}/first-upgrade`;
/**
 * What install-packages upgrades on a new server: unattended-upgrades' origins per
 * /etc/os-release ID, so the script is the same for every image (and config).
 */
const UPGRADE_ORIGINS_BY_OS = { debian: upgradeOrigins("linode/debian12"), ubuntu: upgradeOrigins("linode/ubuntu24.04") };

/** One line per file: "<mode> <path> <base64>", sorted by path. */
export function fileBundle(files: ServerFile[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((f) => `${f.mode} ${f.path} ${Buffer.from(f.content, "utf8").toString("base64")}\n`)
    .join("");
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export type StepName = RemoteStep["name"];
export const STEP_ORDER: readonly StepName[] = ["wait-ready", "install-packages", "push-files", "apply"];

/**
 * The command text of every step. It depends on nothing secret or deploy-specific,
 * so a preview shows it in full and it only changes when this code changes.
 */
export interface StepOptions {
  /** The user lifecycle's RADIUS server is installed too (model/server/aaa.ts). */
  aaa?: boolean;
  /** nginx for one-time profile links (model/server/share.ts); absent counts as on, like vpn:shareLinks. */
  shareLinks?: boolean;
}

export function stepScripts(options: StepOptions = {}): Record<StepName, string> {
  return {
    "wait-ready": template("steps/wait-ready.sh.ejs")({ timeoutSeconds: 900 }),
    "install-packages": template("steps/install-packages.sh.ejs")({
      packages: [...SERVER_PACKAGES, ...(options.aaa ? AAA_PACKAGES : []), ...(options.shareLinks === false ? [] : SHARE_PACKAGES)],
      lockTimeoutSeconds: 900,
      // Per download (lists, updates, packages): a mirror that has not delivered by then fails the step.
      mirrorTimeoutSeconds: 600,
      upgradeMarker: UPGRADE_MARKER,
      manifestFile: MANIFEST,
      originsByOs: UPGRADE_ORIGINS_BY_OS,
    }),
    "push-files": template("steps/push-files.sh.ejs")({ pendingFile: PENDING, manifestFile: MANIFEST }),
    apply: template("steps/apply.sh.ejs")({
      pendingFile: PENDING,
      sysctlFile: PATHS.sysctlConf,
      nftablesFile: PATHS.nftablesConf,
      strongswanConfFile: PATHS.strongswanConf,
      usersFile: PATHS.usersFile,
      swanctlConf: PATHS.swanctlConf,
      credentialDigests: `${PATHS.stateDir}/credential-digests`,
      aaa: { ...AAA_PATHS, dir: AAA_DIR, dataDir: AAA_DATA_DIR },
      share: SHARE_PATHS,
      serverKey: PATHS.serverKey,
      sshdDropIn: PATHS.sshdDropIn,
      upgradeTimer: PATHS.upgradeTimer,
      unboundConf: PATHS.unboundConf,
      resolverAddressUnit: PATHS.resolverAddressUnit,
      viciWaitTries: 120,
    }),
  };
}

/** The steps in order, with the push step's stdin: what the component registers. */
export function renderSteps(files: ServerFile[], options: StepOptions = {}): RemoteStep[] {
  const scripts = stepScripts(options);
  return STEP_ORDER.map((name) =>
    name === "push-files"
      ? { name, script: scripts[name], stdin: fileBundle(files), secret: files.some((f) => f.secret) }
      : { name, script: scripts[name], secret: false },
  );
}
