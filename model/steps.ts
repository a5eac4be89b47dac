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

export function renderSteps(files: ServerFile[]): RemoteStep[] {
  return [
    { name: "wait-ready", secret: false, script: template("steps/wait-ready.sh.ejs")({ timeoutSeconds: 900 }) },
    {
      name: "install-packages",
      secret: false,
      script: template("steps/install-packages.sh.ejs")({ packages: SERVER_PACKAGES, lockTimeoutSeconds: 900 }),
    },
    {
      name: "push-files",
      secret: files.some((f) => f.secret),
      script: template("steps/push-files.sh.ejs")({ pendingFile: PENDING, manifestFile: MANIFEST }),
      stdin: fileBundle(files),
    },
    {
      name: "apply",
      secret: false,
      script: template("steps/apply.sh.ejs")({
        pendingFile: PENDING,
        sysctlFile: PATHS.sysctlConf,
        nftablesFile: PATHS.nftablesConf,
        strongswanConfFile: PATHS.strongswanConf,
        viciWaitTries: 120,
      }),
    },
  ];
}
