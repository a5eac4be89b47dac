// The one proposal table. The server's IKE/ESP proposals and every client profile's
// algorithms are derived from it, so a suite offered to a client is always one the
// server accepts (the end-to-end tier connects with each of them).
import type { Compat } from "./types";

/** One algorithm with its name on every platform that we configure. */
export interface Algo {
  swan: string;
  /** Combined-mode cipher: no separate integrity algorithm. */
  aead?: boolean;
  apple?: string | number;
  /**
   * Set-VpnConnectionIPsecConfiguration names: ENCR -> -EncryptionMethod / -CipherTransformConstants
   * (and -AuthenticationTransformConstants for GCM), INTEG -> -IntegrityCheckMethod (IKE), DH -> -DHGroup.
   */
  windows?: string;
  /** INTEG only: the ESP -AuthenticationTransformConstants name (its enum differs from -IntegrityCheckMethod). */
  windowsEsp?: string;
  /** DH only: the -PfsGroup name (its enum differs from -DHGroup for MODP groups). */
  windowsPfs?: string;
}

export const ENCR = {
  aes256gcm: { swan: "aes256gcm16", aead: true, apple: "AES-256-GCM", windows: "GCMAES256" },
  aes128gcm: { swan: "aes128gcm16", aead: true, apple: "AES-128-GCM", windows: "GCMAES128" },
  chacha20: { swan: "chacha20poly1305", aead: true, apple: "ChaCha20Poly1305" },
  aes256: { swan: "aes256", apple: "AES-256", windows: "AES256" },
  aes128: { swan: "aes128", apple: "AES-128", windows: "AES128" },
  des3: { swan: "3des", windows: "DES3" },
} as const satisfies Record<string, Algo>;

export const INTEG = {
  sha384: { swan: "sha384", apple: "SHA2-384", windows: "SHA384" },
  sha256: { swan: "sha256", apple: "SHA2-256", windows: "SHA256", windowsEsp: "SHA256128" },
  sha1: { swan: "sha1", windows: "SHA1", windowsEsp: "SHA196" },
} as const satisfies Record<string, Algo>;

export const PRF = {
  sha384: { swan: "prfsha384" },
  sha256: { swan: "prfsha256" },
} as const satisfies Record<string, Algo>;

export const DH = {
  curve25519: { swan: "curve25519", apple: 31 },
  ecp384: { swan: "ecp384", apple: 20, windows: "ECP384", windowsPfs: "ECP384" },
  ecp256: { swan: "ecp256", apple: 19, windows: "ECP256", windowsPfs: "ECP256" },
  modp3072: { swan: "modp3072", apple: 15 },
  modp2048: { swan: "modp2048", apple: 14, windows: "Group14", windowsPfs: "PFS2048" },
  modp1024: { swan: "modp1024", apple: 2, windows: "Group2", windowsPfs: "PFS2" },
} as const satisfies Record<string, Algo>;

type Encr = (typeof ENCR)[keyof typeof ENCR];
type Integ = (typeof INTEG)[keyof typeof INTEG];
type Prf = (typeof PRF)[keyof typeof PRF];
type Dh = (typeof DH)[keyof typeof DH];

export interface IkeProposal {
  encr: Encr[];
  /** Empty for AEAD suites. */
  integ: Integ[];
  /** Empty: strongSwan derives the PRF from the integrity algorithm. */
  prf: Prf[];
  dh: Dh[];
}

export interface EspProposal {
  encr: Encr[];
  integ: Integ[];
  /** Empty: no PFS (Apple and Windows rekey without a DH group). */
  dh: Dh[];
}

export interface ProposalTier {
  /** modern suites are always offered; legacy ones only with vpn:compat legacy. */
  tier: "modern" | "legacy";
  ike: IkeProposal[];
  esp: EspProposal[];
}

const MODERN_DH: Dh[] = [DH.curve25519, DH.ecp384, DH.ecp256, DH.modp3072, DH.modp2048];
const AEAD: Encr[] = [ENCR.aes256gcm, ENCR.aes128gcm, ENCR.chacha20];
const CBC: Encr[] = [ENCR.aes256, ENCR.aes128];
const SHA2: Integ[] = [INTEG.sha384, INTEG.sha256];

/**
 * The table. Order is preference order. No suite is prfsha512-only (Windows tops out
 * at SHA384); ESP is offered with and without a DH group so rekeys with and without
 * PFS both match.
 */
export const PROPOSAL_TABLE: readonly ProposalTier[] = [
  {
    tier: "modern",
    ike: [
      { encr: AEAD, integ: [], prf: [PRF.sha384, PRF.sha256], dh: MODERN_DH },
      { encr: CBC, integ: SHA2, prf: [], dh: MODERN_DH },
    ],
    esp: [
      { encr: AEAD, integ: [], dh: MODERN_DH },
      { encr: AEAD, integ: [], dh: [] },
      { encr: CBC, integ: SHA2, dh: MODERN_DH },
      { encr: CBC, integ: SHA2, dh: [] },
    ],
  },
  {
    // What stock Windows 10/11 proposes before anyone runs our PowerShell profile.
    tier: "legacy",
    // IKE: Windows offers AES with SHA1/SHA256 over modp1024; 3DES is not needed there.
    ike: [{ encr: [ENCR.aes256, ENCR.aes128], integ: [INTEG.sha256, INTEG.sha1], prf: [], dh: [DH.modp1024] }],
    esp: [{ encr: [ENCR.aes256, ENCR.aes128, ENCR.des3], integ: [INTEG.sha1], dh: [] }],
  },
];

function ikeString(p: IkeProposal): string {
  return [...p.encr, ...p.integ, ...p.prf, ...p.dh].map((a) => a.swan).join("-");
}

function espString(p: EspProposal): string {
  return [...p.encr, ...p.integ, ...p.dh].map((a) => a.swan).join("-");
}

function tiers(compat: Compat): ProposalTier[] {
  return PROPOSAL_TABLE.filter((t) => t.tier === "modern" || compat === "legacy");
}

/** The server's `proposals` (IKE) list, in preference order. */
export function serverIkeProposals(compat: Compat): string[] {
  return tiers(compat).flatMap((t) => t.ike.map(ikeString));
}

/** The server's `esp_proposals` list, in preference order. */
export function serverEspProposals(compat: Compat): string[] {
  return tiers(compat).flatMap((t) => t.esp.map(espString));
}

/**
 * The single suite each client platform is configured with. Each one is a narrowing
 * of a modern table row (checked by tests), so the server accepts it in modern mode.
 */
export interface ClientSuite {
  ike: { encr: Encr; integ?: Integ; prf?: Prf; dh: Dh };
  esp: { encr: Encr; integ?: Integ; /** PFS group on rekey; undefined = no PFS. */ pfs?: Dh };
}

export const CLIENT_SUITES = {
  /** Apple profiles: AES-256-GCM, P-384, PFS on rekey. GCM needs IntegrityAlgorithm as PRF. */
  apple: { ike: { encr: ENCR.aes256gcm, integ: INTEG.sha384, prf: PRF.sha384, dh: DH.ecp384 }, esp: { encr: ENCR.aes256gcm, pfs: DH.ecp384 } },
  /**
   * Set-VpnConnectionIPsecConfiguration: IKE AES256 (CBC) / SHA384 / ECP384; ESP GCMAES256, PFS ECP384.
   * IKE stays CBC: Windows' -EncryptionMethod GCMAES256 comes with -IntegrityCheckMethod regardless,
   * and the widely deployed Windows profiles (Microsoft's own examples included) all pair AES256 with SHA.
   */
  windows: { ike: { encr: ENCR.aes256, integ: INTEG.sha384, dh: DH.ecp384 }, esp: { encr: ENCR.aes256gcm, pfs: DH.ecp384 } },
  /** strongSwan-based clients (Android app, NetworkManager, swanctl). */
  strongswan: { ike: { encr: ENCR.aes256gcm, prf: PRF.sha384, dh: DH.curve25519 }, esp: { encr: ENCR.aes256gcm, pfs: DH.curve25519 } },
} as const satisfies Record<string, ClientSuite>;

/** strongSwan proposal strings for a client suite (what the Android/Linux profiles carry). */
export function clientIkeString(s: ClientSuite): string {
  const aead = "aead" in s.ike.encr && s.ike.encr.aead;
  return [s.ike.encr, aead ? undefined : s.ike.integ, s.ike.prf, s.ike.dh]
    .filter(Boolean)
    .map((a) => a!.swan)
    .join("-");
}

export function clientEspString(s: ClientSuite, withPfs = true): string {
  return [s.esp.encr, s.esp.integ, withPfs ? s.esp.pfs : undefined]
    .filter(Boolean)
    .map((a) => a!.swan)
    .join("-");
}

// Lifetimes and who rekeys: model/rekey.ts (the rekey policy, derived from the same client suites).
