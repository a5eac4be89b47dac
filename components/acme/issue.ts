// The ACME order flow with acme-client's low-level API: account, order, DNS-01,
// finalize, download; and revocation. Every step is bounded in time, and every
// failure becomes an error that says what happened and what to do.
import { acmeAgent, AcmeHttpContext, acmeHttpState, probeDirectory } from "./acmeHttp";
import { waitForAuthoritative } from "./propagation";
import { makeSolver } from "./solvers";
import type { AcmeCertificateInputs, AcmeCertificateOutputs, DnsSolver, Logger, PresentedRecord } from "./types";

export interface IssueDeps {
  log: Logger;
  /** Test seam: wraps the configured solver (e.g. to fail at a chosen moment). */
  wrapSolver?: (solver: DnsSolver) => DnsSolver;
}

/** What an order yields: the certificate part of the resource's outputs. */
export type IssuedCertificate = Pick<AcmeCertificateOutputs, "certPem" | "chainPem" | "notBefore" | "notAfter" | "accountUrl" | "certificateUrl">;

type Acme = typeof import("acme-client");
type Client = import("acme-client").Client;
type Order = import("acme-client").Order;

const PROBLEM_HINTS: Record<string, string> = {
  rateLimited:
    "Wait until the limit resets (Let's Encrypt: 5 certificates per exact hostname per week, 5 failed validations per hostname per hour); use vpn:acmeServer staging for experiments.",
  badCSR: "The CSR was rejected: the certificate key must be RSA 2048/3072/4096 or ECDSA P-256/P-384.",
  rejectedIdentifier: "The CA will not issue for this hostname (check vpn:hostname).",
  unauthorized: "The CA did not accept the DNS-01 proof: check that the zone is delegated to the name servers that received the TXT record.",
  dns: "The CA could not resolve the challenge name: check the zone's delegation.",
  caa: "A CAA record of the zone forbids this CA/account: allow letsencrypt.org (and this account) in CAA.",
  userActionRequired: "The CA needs the account holder to act (e.g. accept new terms of service); see the detail.",
  externalAccountRequired: "This CA needs external account binding, which this program does not support.",
  accountDoesNotExist: "The ACME account is unknown to this CA: the account key belongs to another directory.",
  serverInternal: "The CA had an internal error; retry later.",
  badNonce: "Retry.",
};

function problemName(type?: string): string {
  return type?.replace(/^urn:ietf:params:acme:error:/, "") ?? "";
}

function backoffFor(validationSeconds: number): { backoffAttempts: number; backoffMin: number; backoffMax: number } {
  const min = 500;
  const max = 5000;
  let total = 0;
  let attempts = 1;
  for (let d = min; total < validationSeconds * 1000; d = Math.min(d * 2, max)) {
    total += d;
    attempts++;
  }
  return { backoffAttempts: attempts, backoffMin: min, backoffMax: max };
}

function directoryHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Rewrites any failure of an ACME call into a sentence naming the step, the cause and the remedy. */
async function explainAcmeError(err: unknown, step: string, ctx: AcmeHttpContext, directoryUrl: string): Promise<Error> {
  const prefix = `ACME (${directoryHost(directoryUrl)}): cannot ${step}`;
  const p = ctx.lastProblem;
  if (p) {
    const name = problemName(p.type) || (p.status === 429 ? "rateLimited" : "");
    const what = name === "rateLimited" ? "rate limited by the CA" : `HTTP ${p.status}${name ? ` ${name}` : ""}`;
    const retry = p.retryAfter ? ` (Retry-After: ${p.retryAfter}${/^\d+$/.test(p.retryAfter) ? " s" : ""}.)` : "";
    return new Error(`${prefix}: ${what}: ${p.detail ?? (err as Error).message}.${retry} ${PROBLEM_HINTS[name] ?? ""}`.trim());
  }
  const message = (err as Error)?.message ?? String(err);
  const lostConnection = err instanceof TypeError || /reading 'config'|socket hang up|timeout of \d+ms exceeded/.test(message);
  if (lostConnection) {
    try {
      await probeDirectory(directoryUrl, ctx.agent, ctx.timeoutMs);
    } catch (probeErr) {
      return new Error(`${prefix}: lost the ACME server ${directoryUrl}: ${(probeErr as Error).message}.`);
    }
    return new Error(`${prefix}: the request failed without an answer (${message}); the server answers again now, so retry.`);
  }
  return new Error(`${prefix}: ${message}`);
}

async function step<T>(ctx: AcmeHttpContext, directoryUrl: string, name: string, fn: () => Promise<T>): Promise<T> {
  ctx.lastProblem = undefined;
  try {
    return await fn();
  } catch (err) {
    throw await explainAcmeError(err, name, ctx, directoryUrl);
  }
}

function newClient(acme: Acme, inputs: Pick<AcmeCertificateInputs, "directoryUrl" | "accountKeyPem" | "timeouts">, accountUrl?: string): Client {
  return new acme.Client({
    directoryUrl: inputs.directoryUrl,
    accountKey: inputs.accountKeyPem,
    accountUrl,
    ...backoffFor(inputs.timeouts?.validationSeconds ?? 120),
  });
}

/** Runs `fn` with acme-client's HTTP bounded and explained; checks the directory first. */
async function withAcme<T>(
  inputs: Pick<AcmeCertificateInputs, "directoryUrl" | "acmeServerCaPem" | "timeouts">,
  fn: (acme: Acme, ctx: AcmeHttpContext) => Promise<T>,
): Promise<T> {
  const acme = require("acme-client") as Acme;
  const state = acmeHttpState(acme);
  const ctx: AcmeHttpContext = { agent: acmeAgent(inputs.acmeServerCaPem), timeoutMs: (inputs.timeouts?.requestSeconds ?? 30) * 1000 };
  try {
    return await state.als.run(ctx, async () => {
      try {
        await probeDirectory(inputs.directoryUrl, ctx.agent, ctx.timeoutMs);
      } catch (err) {
        throw new Error(
          `ACME (${directoryHost(inputs.directoryUrl)}): cannot use the ACME server ${inputs.directoryUrl}: ${(err as Error).message}. Nothing was changed.`,
        );
      }
      return fn(acme, ctx);
    });
  } finally {
    ctx.agent.destroy();
  }
}

/** After a failed validation: the challenge's own problem document (acme-client only reports its detail). */
async function challengeProblem(client: Client, order: Order, hostname: string): Promise<string> {
  try {
    const authzs = await client.getAuthorizations(order);
    const ch = authzs.find((a) => a.identifier.value === hostname)?.challenges.find((c) => c.type === "dns-01") as
      { error?: { type?: string; detail?: string } } | undefined;
    if (ch?.error) return `${problemName(ch.error.type)}: ${ch.error.detail ?? ""}`;
  } catch {
    // fall through: the caller still has acme-client's message
  }
  return "";
}

async function solveDns01(client: Client, ctx: AcmeHttpContext, order: Order, inputs: AcmeCertificateInputs, deps: IssueDeps): Promise<void> {
  const { log } = deps;
  const authzs = await step(ctx, inputs.directoryUrl, "read the order's authorizations", () => client.getAuthorizations(order));
  const dnsTimeoutMs = (inputs.timeouts?.dnsSeconds ?? 30) * 1000;
  for (const authz of authzs) {
    if (authz.status === "valid") {
      log(`ACME: ${authz.identifier.value} is already authorized`);
      continue;
    }
    const challenge = authz.challenges.find((c) => c.type === "dns-01");
    if (!challenge)
      throw new Error(
        `ACME (${directoryHost(inputs.directoryUrl)}): the CA offers no dns-01 challenge for ${authz.identifier.value} (offered: ${authz.challenges.map((c) => c.type).join(", ")})`,
      );
    const value = await client.getChallengeKeyAuthorization(challenge);
    const fqdn = `_acme-challenge.${authz.identifier.value}`;
    const base = makeSolver(inputs.dns, inputs.dnsCredential, log, dnsTimeoutMs);
    const solver = deps.wrapSolver ? deps.wrapSolver(base) : base;
    let record: PresentedRecord | undefined;
    try {
      record = await solver.present(fqdn, value);
      await waitForAuthoritative({ zone: inputs.dns.zone, fqdn, value, settings: inputs.propagation, log, providerName: solver.name });
      await step(ctx, inputs.directoryUrl, "start validation of the dns-01 challenge", () => client.completeChallenge(challenge));
      log(`ACME: the CA is validating ${fqdn}`);
      ctx.lastProblem = undefined;
      try {
        await client.waitForValidStatus(challenge);
      } catch (err) {
        const host = directoryHost(inputs.directoryUrl);
        const problem = await challengeProblem(client, order, authz.identifier.value);
        if (problem)
          throw new Error(
            `ACME (${host}): the CA rejected the dns-01 challenge for ${authz.identifier.value}: ${problem}. ${PROBLEM_HINTS.unauthorized} (Let's Encrypt allows 5 failed validations per hostname per hour.)`,
          );
        if (/pending|processing/i.test((err as Error)?.message ?? ""))
          throw new Error(
            `ACME (${host}): the CA did not finish validating ${authz.identifier.value} within ${inputs.timeouts?.validationSeconds ?? 120} s; retry later.`,
          );
        throw await explainAcmeError(err, "learn the result of the dns-01 validation", ctx, inputs.directoryUrl);
      }
      log(`ACME: ${authz.identifier.value} validated`);
    } catch (err) {
      // Every failure path removes the record before reporting, and says so.
      const message = (err as Error)?.message ?? String(err);
      if (!record) throw err;
      try {
        await solver.cleanup(record);
      } catch (cleanupErr) {
        throw new Error(`${message} The challenge record ${fqdn} could NOT be removed (${(cleanupErr as Error).message}); delete it by hand.`);
      }
      throw new Error(`${message} (The challenge record ${fqdn} was removed.)`);
    }
    try {
      await solver.cleanup(record);
    } catch (cleanupErr) {
      throw new Error(
        `DNS-01: the certificate was validated, but the challenge record ${fqdn} could not be removed (${(cleanupErr as Error).message}); delete it by hand.`,
      );
    }
  }
}

export async function issueCertificate(inputs: AcmeCertificateInputs, deps: IssueDeps): Promise<IssuedCertificate> {
  const { log } = deps;
  return withAcme(inputs, async (acme, ctx) => {
    const client = newClient(acme, inputs);
    const s = <T>(name: string, fn: () => Promise<T>) => step(ctx, inputs.directoryUrl, name, fn);
    await s("register the ACME account", () => client.createAccount({ termsOfServiceAgreed: true, contact: inputs.email ? [`mailto:${inputs.email}`] : [] }));
    const accountUrl = client.getAccountUrl();
    log(`ACME: account ${accountUrl}`);
    const order = await s("create the order", () =>
      client.createOrder({ identifiers: [{ type: "dns", value: inputs.hostname }], ...(inputs.profile ? { profile: inputs.profile } : {}) }),
    );
    log(`ACME: order ${order.url} for ${inputs.hostname}${inputs.profile ? ` (profile ${inputs.profile})` : ""}`);
    await solveDns01(client, ctx, order, inputs, deps);
    const finalized = await s("finalize the order with the CSR", () => client.finalizeOrder(order, inputs.csrPem));
    const valid = finalized.status === "valid" ? finalized : await s("wait for the certificate", () => client.waitForValidStatus(finalized));
    const pem = await s("download the certificate", () => client.getCertificate(valid));
    const [leaf, ...chain] = acme.crypto.splitPemChain(pem);
    const info = acme.crypto.readCertificateInfo(leaf);
    log(`ACME: issued ${inputs.hostname}, valid until ${info.notAfter.toISOString()}`);
    return {
      certPem: `${leaf.trim()}\n`,
      chainPem: chain.map((c) => `${c.trim()}\n`).join(""),
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      accountUrl,
      certificateUrl: valid.certificate ?? order.url,
    };
  });
}

export interface RevokeInputs extends Pick<AcmeCertificateInputs, "directoryUrl" | "accountKeyPem" | "acmeServerCaPem" | "timeouts"> {
  accountUrl: string;
  certPem: string;
}

/** Revokes the certificate with the account that ordered it; an already revoked one counts as done. */
export async function revokeCertificate(inputs: RevokeInputs, log: Logger): Promise<void> {
  await withAcme(inputs, async (acme, ctx) => {
    const client = newClient(acme, inputs, inputs.accountUrl);
    try {
      await step(ctx, inputs.directoryUrl, "revoke the certificate", () => client.revokeCertificate(inputs.certPem));
      log("ACME: certificate revoked");
    } catch (err) {
      if (problemName(ctx.lastProblem?.type) === "alreadyRevoked") {
        log("ACME: certificate was already revoked");
        return;
      }
      throw err;
    }
  });
}

export interface ContactInputs extends Pick<AcmeCertificateInputs, "directoryUrl" | "accountKeyPem" | "acmeServerCaPem" | "timeouts" | "email"> {
  accountUrl: string;
}

/** RFC 8555 section 7.3.2: sets the account's contact to `email` (none when unset). */
export async function updateAccountContact(inputs: ContactInputs, log: Logger): Promise<void> {
  await withAcme(inputs, async (acme, ctx) => {
    const client = newClient(acme, inputs, inputs.accountUrl);
    const contact = inputs.email ? [`mailto:${inputs.email}`] : [];
    await step(ctx, inputs.directoryUrl, "update the account's contact (vpn:acmeEmail)", () => client.updateAccount({ contact }));
    log(`ACME: account ${inputs.accountUrl} contact is now ${contact.join(", ") || "(none)"}`);
  });
}
