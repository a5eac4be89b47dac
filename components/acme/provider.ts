// The Pulumi dynamic provider of the ACME certificate, usable without Pulumi: tests
// import it and call check/diff/create/update/delete directly.
//
// Pulumi serializes this provider object (and, by value, the local functions it
// reaches) into the stack state, so: no npm or node module is imported at the top
// of these files (each `require` sits inside a function), no secret is captured in
// a closure (tokens, TSIG secret and account key are inputs), and check/diff are
// pure so `pulumi preview` never talks to the CA or the DNS provider.
import { ContactInputs, issueCertificate, updateAccountContact } from "./issue";
import { renewalStatus } from "./renewal";
import type { AcmeCertificateInputs, AcmeCertificateOutputs, DnsSolver, Logger } from "./types";

export interface ProviderDeps {
  /** The clock diff uses for the renewal window (tests pin it). */
  now?: () => Date;
  /** Progress messages; default stderr, which Pulumi shows in its log. */
  log?: Logger;
  /** Test seam, see issue.ts. */
  wrapSolver?: (solver: DnsSolver) => DnsSolver;
  /** Test seam: how `update` tells the CA a new contact (default: acme-client updateAccount). */
  updateContact?: (inputs: ContactInputs, log: Logger) => Promise<void>;
}

interface CheckFailure {
  property: string;
  reason: string;
}

/** Pulumi's placeholder for values not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Changing one of these needs a new certificate. */
const REPLACE_KEYS = ["hostname", "csrPem", "directoryUrl", "accountKeyPem", "profile"] as const;
/** These need no new certificate: `email` is sent to the CA's account, the rest only changes how the next one is obtained. */
const UPDATE_KEYS = ["email", "renewBeforeDays", "acmeServerCaPem", "dns", "propagation", "timeouts"] as const;
const CERT_KEYS = ["certPem", "chainPem", "notBefore", "notAfter", "accountUrl", "certificateUrl"] as const;

const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

function known(v: unknown): boolean {
  return v !== UNKNOWN;
}

/** JSON with object keys sorted: the engine may hand olds and news over with keys in another order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Inputs minus the DNS credential (never copied into outputs) and Pulumi's own keys. */
function publicInputs(inputs: AcmeCertificateInputs): Omit<AcmeCertificateOutputs, (typeof CERT_KEYS)[number]> {
  const out: Record<string, unknown> = {};
  for (const k of [...REPLACE_KEYS, ...UPDATE_KEYS]) if (inputs[k] !== undefined) out[k] = inputs[k];
  return out as unknown as Omit<AcmeCertificateOutputs, (typeof CERT_KEYS)[number]>;
}

/** Input validation; values unknown during preview are skipped. Pure. */
export function checkInputs(news: Partial<AcmeCertificateInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const { hostname, directoryUrl, csrPem, accountKeyPem, dns, dnsCredential, renewBeforeDays } = news;
  const validHost = typeof hostname === "string" && HOSTNAME_RE.test(hostname);
  if (known(hostname) && !validHost) fail("hostname", `must be a lowercase fully qualified domain name, got ${JSON.stringify(hostname)}`);
  if (known(directoryUrl)) {
    let ok: boolean;
    try {
      ok = new URL(String(directoryUrl)).protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) fail("directoryUrl", `must be an https:// ACME directory URL, got ${JSON.stringify(directoryUrl)}`);
  }
  if (known(csrPem)) {
    try {
      const acme = require("acme-client") as typeof import("acme-client");
      const d = acme.crypto.readCsrDomains(String(csrPem));
      if (validHost && (d.commonName !== hostname || !d.altNames.includes(hostname)))
        fail("csrPem", `the CSR must name ${hostname} as CN and SAN, it has CN ${d.commonName} and SAN ${d.altNames.join(", ") || "none"}`);
    } catch (err) {
      fail("csrPem", `is not a PEM certificate signing request (${(err as Error).message})`);
    }
  }
  if (known(accountKeyPem)) {
    try {
      const crypto = require("node:crypto") as typeof import("node:crypto");
      const key = crypto.createPrivateKey(String(accountKeyPem));
      if (key.asymmetricKeyType !== "ec" && key.asymmetricKeyType !== "rsa")
        fail("accountKeyPem", `must be an ECDSA or RSA key (acme-client cannot sign with ${key.asymmetricKeyType})`);
    } catch {
      fail("accountKeyPem", "is not a PEM private key");
    }
  }
  if (renewBeforeDays !== undefined && known(renewBeforeDays) && !(Number.isInteger(renewBeforeDays) && renewBeforeDays >= 0))
    fail("renewBeforeDays", "must be a whole number of days (0: the default window)");
  if (known(dns)) {
    if (!dns || (dns.provider !== "linode" && dns.provider !== "rfc2136")) fail("dns.provider", "must be linode or rfc2136");
    else {
      if (known(dns.zone) && validHost && hostname !== dns.zone && !hostname.endsWith(`.${dns.zone}`))
        fail("dns.zone", `${hostname} is not inside the zone ${dns.zone}`);
      if (dns.provider === "rfc2136") {
        if (!dns.server) fail("dns.server", "is required for rfc2136");
        if (!dns.keyName) fail("dns.keyName", "is required for rfc2136");
        if (dns.algorithm && !["hmac-sha256", "hmac-sha384", "hmac-sha512"].includes(dns.algorithm))
          fail("dns.algorithm", "must be hmac-sha256, hmac-sha384 or hmac-sha512");
      }
    }
  }
  if (known(dnsCredential) && (typeof dnsCredential !== "string" || dnsCredential === "")) {
    fail("dnsCredential", dns?.provider === "rfc2136" ? "the TSIG secret (vpn:rfc2136Secret) is required" : "the Linode API token (linode:token) is required");
  }
  return failures;
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** Pure: replace for a new hostname/CSR/directory/account/profile or inside the renewal window; update otherwise. */
export function diffCertificate(olds: Partial<AcmeCertificateOutputs>, news: Partial<AcmeCertificateInputs>, now: Date): DiffResult {
  const replaces: string[] = REPLACE_KEYS.filter((k) => !same(olds[k], news[k]));
  if (replaces.length === 0) {
    if (typeof olds.certPem !== "string") replaces.push("certPem");
    else if (renewalStatus(olds.certPem, now, known(news.renewBeforeDays) ? news.renewBeforeDays : olds.renewBeforeDays).due) replaces.push("notAfter");
  }
  const updates = UPDATE_KEYS.filter((k) => !same(olds[k], news[k]));
  // State from before revocation moved to CertificateRevocation (revocation.ts) still
  // carries revokeOnDestroy and a provider whose delete revokes: one update replaces both.
  const legacy = (olds as { revokeOnDestroy?: unknown }).revokeOnDestroy !== undefined;
  return { changes: replaces.length > 0 || updates.length > 0 || legacy, replaces, deleteBeforeReplace: false };
}

export function createAcmeCertificateProvider(deps: ProviderDeps = {}) {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? ((m: string) => console.error(m));
  const updateContact = deps.updateContact ?? updateAccountContact;
  return {
    async check(_olds: Partial<AcmeCertificateInputs>, news: Partial<AcmeCertificateInputs>) {
      return { inputs: news, failures: checkInputs(news) };
    },

    async diff(_id: string, olds: Partial<AcmeCertificateOutputs>, news: Partial<AcmeCertificateInputs>) {
      return diffCertificate(olds, news, now());
    },

    async create(inputs: AcmeCertificateInputs): Promise<{ id: string; outs: AcmeCertificateOutputs }> {
      const cert = await issueCertificate(inputs, { log, wrapSolver: deps.wrapSolver });
      return { id: cert.certificateUrl, outs: { ...publicInputs(inputs), ...cert } };
    },

    /** Only UPDATE_KEYS changed: keep the certificate, record the new settings; a new e-mail goes to the CA's account. */
    async update(_id: string, olds: AcmeCertificateOutputs, news: AcmeCertificateInputs): Promise<{ outs: AcmeCertificateOutputs }> {
      if ((olds.email ?? "") !== (news.email ?? "") && olds.accountUrl) {
        await updateContact({ ...news, accountUrl: olds.accountUrl }, log);
      }
      const cert: Record<string, unknown> = {};
      for (const k of CERT_KEYS) cert[k] = olds[k];
      return { outs: { ...publicInputs(news), ...(cert as Pick<AcmeCertificateOutputs, (typeof CERT_KEYS)[number]>) } };
    },

    /**
     * Nothing to clean up at the CA (challenge records are removed during create).
     * Never revokes: this delete also runs for the certificate a renewal superseded.
     * Revocation on destroy is CertificateRevocation's job (revocation.ts).
     */
    async delete(_id: string, _props: AcmeCertificateOutputs): Promise<void> {},
  };
}

export type AcmeCertificateProvider = ReturnType<typeof createAcmeCertificateProvider>;

export const acmeCertificateProvider: AcmeCertificateProvider = createAcmeCertificateProvider();
