// The remote provisioning steps, in order: the exact command text each
// @pulumi/command step runs, and the stdin it gets. Pure.
import { createHash } from "node:crypto";
import { template } from "../templates";
import { PATHS, ServerFile } from "./server/files";

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
export function stepScripts(): Record<StepName, string> {
  return {
    "wait-ready": template("steps/wait-ready.sh.ejs")({ timeoutSeconds: 900 }),
    "install-packages": template("steps/install-packages.sh.ejs")({ packages: SERVER_PACKAGES, lockTimeoutSeconds: 900 }),
    "push-files": template("steps/push-files.sh.ejs")({ pendingFile: PENDING, manifestFile: MANIFEST }),
    apply: template("steps/apply.sh.ejs")({
      pendingFile: PENDING,
      sysctlFile: PATHS.sysctlConf,
      nftablesFile: PATHS.nftablesConf,
      strongswanConfFile: PATHS.strongswanConf,
      usersFile: PATHS.usersFile,
      sshdDropIn: PATHS.sshdDropIn,
      upgradeTimer: PATHS.upgradeTimer,
      unboundConf: PATHS.unboundConf,
      resolverAddressUnit: PATHS.resolverAddressUnit,
      viciWaitTries: 120,
    }),
  };
}

/** The steps in order, with the push step's stdin: what the component registers. */
export function renderSteps(files: ServerFile[]): RemoteStep[] {
  const scripts = stepScripts();
  return STEP_ORDER.map((name) =>
    name === "push-files"
      ? { name, script: scripts[name], stdin: fileBundle(files), secret: files.some((f) => f.secret) }
      : { name, script: scripts[name], secret: false },
  );
}
