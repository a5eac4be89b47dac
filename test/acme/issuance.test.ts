// Issuance against pebble with the provider's own create (rfc2136 solver, real
// BIND), then diff/update/delete on the certificate it issued.
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import { renewalWindowMs } from "../../components/acme/renewal";
import type { AcmeCertificateOutputs } from "../../components/acme/types";
import { run } from "./lib/procs";
import { HOSTNAME, startWorld, World } from "./lib/world";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

describe("ACME issuance against pebble (rfc2136 solver, BIND)", { timeout: 120_000 }, () => {
  let w: World;
  let outs: AcmeCertificateOutputs;
  let id: string;
  const logs: string[] = [];
  const provider = createAcmeCertificateProvider({ log: (m) => logs.push(m) });

  before(async () => {
    w = await startWorld();
    const created = await provider.create(w.rfc2136Inputs());
    outs = created.outs;
    id = created.id;
  });
  after(async () => w?.stop());

  it("returns leaf, chain, validity and account, and no credential", () => {
    assert.equal(id, outs.certificateUrl);
    assert.match(outs.accountUrl, /^https:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(outs.certPem.match(/BEGIN CERTIFICATE/g)?.length, 1);
    assert.ok((outs.chainPem.match(/BEGIN CERTIFICATE/g)?.length ?? 0) >= 1);
    const leaf = new X509Certificate(outs.certPem);
    assert.equal(new Date(outs.notAfter).getTime(), new Date(leaf.validTo).getTime());
    assert.equal(new Date(outs.notBefore).getTime(), new Date(leaf.validFrom).getTime());
    const text = JSON.stringify(outs);
    assert.ok(!("dnsCredential" in outs));
    assert.ok(!text.includes(w.challengeKey.secret), "the TSIG secret must not reach the outputs");
  });

  it("the chain verifies against pebble's root with openssl verify", async () => {
    writeFileSync(join(w.dir, "root.pem"), await w.pebble.rootPem());
    writeFileSync(join(w.dir, "chain.pem"), outs.chainPem);
    writeFileSync(join(w.dir, "leaf.pem"), outs.certPem);
    const out = await run("openssl", [
      "verify",
      "-CAfile",
      join(w.dir, "root.pem"),
      "-untrusted",
      join(w.dir, "chain.pem"),
      "-purpose",
      "sslserver",
      join(w.dir, "leaf.pem"),
    ]);
    assert.match(out, /leaf\.pem: OK/);
  });

  it("the leaf names the hostname, has serverAuth and the CSR's key", () => {
    const leaf = new X509Certificate(outs.certPem);
    assert.equal(leaf.subjectAltName, `DNS:${HOSTNAME}`);
    assert.ok(leaf.keyUsage?.includes(SERVER_AUTH), `EKU ${leaf.keyUsage}`);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(w.certKey.keyPem)));
    assert.equal(leaf.publicKey.asymmetricKeyType, "rsa");
  });

  it("removed the challenge record and logged the propagation wait", async () => {
    assert.deepEqual(await w.challengeTxt(), []);
    assert.ok(
      logs.some((l) => /all name servers serve the challenge/.test(l)),
      logs.join("\n"),
    );
    assert.ok(logs.some((l) => /rfc2136: removed TXT/.test(l)));
  });

  it("reuses the ACME account on the next order", async () => {
    const again = await provider.create(w.rfc2136Inputs());
    assert.equal(again.outs.accountUrl, outs.accountUrl);
    assert.notEqual(again.outs.certPem, outs.certPem);
  });

  it("diff replaces inside the renewal window and not outside it", async () => {
    const notBefore = new Date(outs.notBefore);
    const notAfter = new Date(outs.notAfter);
    const windowStart = notAfter.getTime() - renewalWindowMs(notBefore, notAfter);
    const at = (ms: number) => createAcmeCertificateProvider({ now: () => new Date(ms) }).diff(id, outs, w.rfc2136Inputs());
    assert.deepEqual(await at(notBefore.getTime() + 3600_000), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual((await at(windowStart - 60_000)).replaces, []);
    assert.deepEqual(await at(windowStart + 60_000), { changes: true, replaces: ["notAfter"], deleteBeforeReplace: false });
    assert.deepEqual((await at(notAfter.getTime() + 60_000)).replaces, ["notAfter"]);
  });

  it("renewBeforeDays moves the window", async () => {
    const notAfter = new Date(outs.notAfter).getTime();
    const p = createAcmeCertificateProvider({ now: () => new Date(notAfter - 20 * 86400_000) });
    assert.deepEqual((await p.diff(id, outs, w.rfc2136Inputs({ renewBeforeDays: 30 }))).replaces, ["notAfter"]);
    assert.deepEqual((await p.diff(id, outs, w.rfc2136Inputs({ renewBeforeDays: 10 }))).replaces, []);
  });

  it("diff replaces for a new hostname, CSR or directory; update keeps the certificate otherwise", async () => {
    const now = createAcmeCertificateProvider({ now: () => new Date(new Date(outs.notBefore).getTime() + 3600_000) });
    assert.deepEqual((await now.diff(id, outs, w.rfc2136Inputs({ hostname: "vpn2.example.com" }))).replaces, ["hostname"]);
    assert.deepEqual((await now.diff(id, outs, w.rfc2136Inputs({ csrPem: "other" }))).replaces, ["csrPem"]);
    assert.deepEqual((await now.diff(id, outs, w.rfc2136Inputs({ directoryUrl: "https://127.0.0.1:1/dir" }))).replaces, ["directoryUrl"]);
    const emailOnly = w.rfc2136Inputs({ email: "ops@example.com" });
    assert.deepEqual(await now.diff(id, outs, emailOnly), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.equal((await now.diff(id, outs, w.rfc2136Inputs({ dnsCredential: "rotated" }))).changes, false, "a new DNS credential needs no action");
    const updated = (await now.update(id, outs, emailOnly)).outs;
    assert.equal(updated.certPem, outs.certPem);
    assert.equal(updated.notAfter, outs.notAfter);
    assert.equal(updated.email, "ops@example.com");
    assert.ok(!("dnsCredential" in updated));
  });

  it("delete never revokes (it also runs for the certificate a renewal superseded)", async () => {
    const serial = new X509Certificate(outs.certPem).serialNumber.toLowerCase().replace(/^0+/, "");
    await provider.delete(id, outs);
    await provider.delete(id, { ...outs, revokeOnDestroy: true } as AcmeCertificateOutputs); // state written before CertificateRevocation
    assert.equal(await w.pebble.certStatus(serial), "Valid");
  });
});
