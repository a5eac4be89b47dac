// The ACME provider's pure parts: renewal window, diff, check, update. No network.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import * as forge from "node-forge";
import { checkInputs, createAcmeCertificateProvider, diffCertificate } from "../../components/acme/provider";
import { renewalStatus, renewalWindowMs } from "../../components/acme/renewal";
import { DAY_MS } from "../../model/time";
import type { AcmeCertificateInputs, AcmeCertificateOutputs } from "../../components/acme/types";

const keyPem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

function certValid(notBefore: Date, days: number): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = "0a";
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  cert.setSubject([{ name: "commonName", value: "vpn.example.com" }]);
  cert.setIssuer([{ name: "commonName", value: "test issuer" }]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const ISSUED = new Date("2027-01-01T00:00:00Z");
const day = (n: number) => new Date(ISSUED.getTime() + n * DAY_MS);

const inputs: AcmeCertificateInputs = {
  hostname: "vpn.example.com",
  csrPem: "CSR",
  directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
  accountKeyPem: "ACCOUNT KEY",
  dns: { provider: "linode", zone: "example.com" },
  dnsCredential: "token",
};

function outputs(days: number, over: Partial<AcmeCertificateOutputs> = {}): AcmeCertificateOutputs {
  const { dnsCredential: _omit, ...rest } = inputs;
  return {
    ...rest,
    certPem: certValid(ISSUED, days),
    chainPem: "CHAIN",
    notBefore: ISSUED.toISOString(),
    notAfter: day(days).toISOString(),
    accountUrl: "https://acme.example/acct/1",
    certificateUrl: "https://acme.example/cert/1",
    ...over,
  };
}

describe("renewal window", () => {
  it("is the last third of the lifetime, at least 10 days, at most half the lifetime", () => {
    const w = (days: number) => renewalWindowMs(ISSUED, day(days)) / DAY_MS;
    assert.equal(w(90), 30);
    assert.ok(Math.abs(w(64) - 64 / 3) < 1e-9); // from 2027-02-10
    assert.equal(w(45), 15); // from 2028-02-16
    assert.equal(w(24), 10); // a third would be 8: at least 10 days
    assert.equal(w(6), 3); // short-lived profile: half, or every run would renew
  });

  it("renewBeforeDays overrides the default; 0 means the default", () => {
    assert.equal(renewalWindowMs(ISSUED, day(90), 7) / DAY_MS, 7);
    assert.equal(renewalWindowMs(ISSUED, day(90), 0) / DAY_MS, 30);
  });

  it("reads notBefore/notAfter from the certificate", () => {
    const s = renewalStatus(certValid(ISSUED, 90), day(59));
    assert.equal(s.notAfter.toISOString(), day(90).toISOString());
    assert.equal(s.renewAt.toISOString(), day(60).toISOString());
    assert.equal(s.due, false);
    assert.equal(renewalStatus(certValid(ISSUED, 90), day(60)).due, true);
  });
});

describe("diff", () => {
  const news = { ...inputs };

  it("no change outside the window; replace inside it (and after expiry)", () => {
    const olds = outputs(90);
    assert.deepEqual(diffCertificate(olds, news, day(1)), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(diffCertificate(olds, news, day(59.9)).replaces, []);
    assert.deepEqual(diffCertificate(olds, news, day(60.1)), { changes: true, replaces: ["notAfter"], deleteBeforeReplace: false });
    assert.deepEqual(diffCertificate(olds, news, day(91)).replaces, ["notAfter"]);
  });

  it("uses the new renewBeforeDays", () => {
    assert.deepEqual(diffCertificate(outputs(90), { ...news, renewBeforeDays: 45 }, day(46)).replaces, ["notAfter"]);
  });

  it("replaces for hostname, CSR, directory, account key or profile; never for the DNS credential", () => {
    const olds = outputs(90);
    for (const [k, v] of [
      ["hostname", "vpn2.example.com"],
      ["csrPem", "CSR2"],
      ["directoryUrl", "https://x/dir"],
      ["accountKeyPem", "K2"],
      ["profile", "shortlived"],
    ] as const) {
      assert.deepEqual(diffCertificate(olds, { ...news, [k]: v }, day(1)).replaces, [k], k);
    }
    assert.equal(diffCertificate(olds, { ...news, dnsCredential: "rotated" }, day(1)).changes, false);
  });

  it("settings that need no new certificate are an update", () => {
    const olds = outputs(90);
    for (const over of [
      { email: "a@example.com" },
      { renewBeforeDays: 20 },
      { dns: { provider: "rfc2136" as const, zone: "example.com", server: "ns1", keyName: "k" } },
    ]) {
      assert.deepEqual(diffCertificate(olds, { ...news, ...over }, day(1)), { changes: true, replaces: [], deleteBeforeReplace: false });
    }
  });

  it("key order and absent optional fields are no change", () => {
    const olds = outputs(90, { dns: { zone: "example.com", provider: "linode" } as AcmeCertificateOutputs["dns"], email: undefined });
    assert.deepEqual(diffCertificate(olds, { ...news, dns: { provider: "linode", zone: "example.com" } }, day(1)).changes, false);
  });

  it("values unknown during preview (a new CSR) mean replace", () => {
    assert.deepEqual(diffCertificate(outputs(90), { ...news, csrPem: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }, day(1)).replaces, ["csrPem"]);
  });

  it("state from before CertificateRevocation (revokeOnDestroy in the outputs) gets one update", () => {
    const legacy = { ...outputs(90), revokeOnDestroy: true } as AcmeCertificateOutputs;
    assert.deepEqual(diffCertificate(legacy, news, day(1)), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("update keeps the certificate and records the new settings, without the credential; a new e-mail goes to the CA", async () => {
    const olds = outputs(90);
    const told: unknown[] = [];
    const p = createAcmeCertificateProvider({ log: () => undefined, updateContact: async (i) => void told.push({ accountUrl: i.accountUrl, email: i.email }) });
    await p.update("id", olds, { ...news, renewBeforeDays: 30 });
    assert.deepEqual(told, [], "the contact is left alone when the e-mail did not change");
    const { outs } = await p.update("id", olds, { ...news, email: "ops@example.com" });
    assert.deepEqual(told, [{ accountUrl: olds.accountUrl, email: "ops@example.com" }]);
    assert.equal(outs.certPem, olds.certPem);
    assert.equal(outs.notAfter, olds.notAfter);
    assert.equal(outs.accountUrl, olds.accountUrl);
    assert.equal(outs.email, "ops@example.com");
    assert.ok(!("dnsCredential" in outs));
  });

  it("delete never revokes, not even state that still says revokeOnDestroy (no network)", async () => {
    const p = createAcmeCertificateProvider({ log: () => undefined });
    await p.delete("id", outputs(90));
    await p.delete("id", { ...outputs(90), revokeOnDestroy: true } as AcmeCertificateOutputs);
  });
});

describe("check", () => {
  it("accepts unknown values and reports each bad input with its property", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual(checkInputs({ ...inputs, csrPem: unknown, accountKeyPem: unknown, dnsCredential: unknown }), []);
    const failures = checkInputs({
      ...inputs,
      hostname: "Not A Host",
      directoryUrl: "http://acme.example/dir",
      csrPem: "junk",
      accountKeyPem: "junk",
      dnsCredential: "",
      renewBeforeDays: -1,
    });
    assert.deepEqual(failures.map((f) => f.property).sort(), ["accountKeyPem", "csrPem", "directoryUrl", "dnsCredential", "hostname", "renewBeforeDays"]);
    assert.match(failures.find((f) => f.property === "dnsCredential")!.reason, /linode:token/);
  });

  it("the CSR must name the hostname; rfc2136 needs server and key name", async () => {
    const acme = await import("acme-client");
    const [, csr] = await acme.crypto.createCsr({ commonName: "other.example.com", altNames: ["other.example.com"] }, keyPem);
    const account = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "sec1", format: "pem" }).toString();
    const f = checkInputs({
      ...inputs,
      csrPem: csr.toString(),
      accountKeyPem: account,
      dns: { provider: "rfc2136", zone: "example.org", server: "", keyName: "" },
    });
    assert.deepEqual(f.map((x) => x.property).sort(), ["csrPem", "dns.keyName", "dns.server", "dns.zone"]);
    assert.match(f.find((x) => x.property === "csrPem")!.reason, /must name vpn\.example\.com as CN and SAN, it has CN other\.example\.com/);
  });
});
