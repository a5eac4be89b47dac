// Against pebble: a changed vpn:acmeEmail reaches the CA's account (update), and
// vpn:revokeOnDestroy revokes on destroy only: a renewal (new certificate, the old
// resource deleted, CertificateRevocation updated) revokes nothing.
import assert from "node:assert/strict";
import { Agent } from "node:https";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as acme from "acme-client";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import { createRevocationProvider, RevocationInputs } from "../../components/acme/revocation";
import type { AcmeCertificateOutputs } from "../../components/acme/types";
import { startWorld, World } from "./lib/world";

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, "");

describe("ACME account contact and revocation against pebble", { timeout: 120_000 }, () => {
  let w: World;
  const logs: string[] = [];
  const provider = createAcmeCertificateProvider({ log: (m) => logs.push(m) });
  const revocation = createRevocationProvider({ log: (m) => logs.push(m) });

  /** The account's contact as the CA has it (POST-as-GET on the account URL). */
  async function contactAtCa(accountUrl: string): Promise<string[]> {
    const client = new acme.Client({ directoryUrl: w.pebble.directoryUrl, accountKey: w.accountKey, accountUrl });
    const previous = acme.axios.defaults.httpsAgent;
    acme.axios.defaults.httpsAgent = new Agent({ ca: w.ca.caPem });
    try {
      const account = (await client.updateAccount()) as { contact?: string[] };
      return account.contact ?? [];
    } finally {
      acme.axios.defaults.httpsAgent = previous;
    }
  }

  const revocationInputs = (outs: AcmeCertificateOutputs, enabled = true): RevocationInputs => ({
    enabled,
    hostname: outs.hostname,
    directoryUrl: outs.directoryUrl,
    accountKeyPem: w.accountKey,
    accountUrl: outs.accountUrl,
    certPem: outs.certPem,
    notAfter: outs.notAfter,
    acmeServerCaPem: w.ca.caPem,
    timeouts: { requestSeconds: 5 },
  });

  before(async () => {
    w = await startWorld();
  });
  after(async () => w?.stop());

  it("a new vpn:acmeEmail is an update that changes the account's contact at the CA", async () => {
    const { id, outs } = await provider.create(w.rfc2136Inputs({ email: "first@example.com" }));
    assert.deepEqual(await contactAtCa(outs.accountUrl), ["mailto:first@example.com"]);
    const news = w.rfc2136Inputs({ email: "second@example.com" });
    const d = await provider.diff(id, outs, news);
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false }, "no new certificate for an e-mail");
    const updated = (await provider.update(id, outs, news)).outs;
    assert.equal(updated.email, "second@example.com");
    assert.equal(updated.certPem, outs.certPem);
    assert.deepEqual(await contactAtCa(outs.accountUrl), ["mailto:second@example.com"]);
    await provider.update(id, updated, w.rfc2136Inputs({ email: undefined }));
    assert.deepEqual(await contactAtCa(outs.accountUrl), [], "unsetting vpn:acmeEmail removes the contact");
  });

  it("a renewal revokes nothing; destroying the region revokes the current certificate only", async () => {
    const first = await provider.create(w.rfc2136Inputs());
    const rev = await revocation.create(revocationInputs(first.outs));
    // Renewal as the engine runs it: create the new certificate, update what depends on
    // it (the revocation resource), then delete the superseded certificate resource.
    const second = await provider.create(w.rfc2136Inputs());
    assert.deepEqual(await revocation.diff(rev.id, rev.outs, revocationInputs(second.outs)), { changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = (await revocation.update(rev.id, rev.outs, revocationInputs(second.outs))).outs;
    await provider.delete(first.id, first.outs);
    // Even state written by the old provider, which revoked in this delete, must not now.
    await provider.delete(first.id, { ...first.outs, revokeOnDestroy: true } as AcmeCertificateOutputs);
    assert.equal(await w.pebble.certStatus(serialOf(first.outs.certPem)), "Valid", "the superseded certificate is not revoked");
    assert.equal(await w.pebble.certStatus(serialOf(second.outs.certPem)), "Valid");
    // Destroy: the revocation resource goes first (it depends on the certificate).
    await revocation.delete(rev.id, updated);
    await provider.delete(second.id, second.outs);
    assert.equal(await w.pebble.certStatus(serialOf(second.outs.certPem)), "Revoked");
    assert.equal(await w.pebble.certStatus(serialOf(first.outs.certPem)), "Valid");
    await revocation.delete(rev.id, updated); // already revoked: still succeeds
    assert.ok(
      logs.some((l) => /already revoked/.test(l)),
      logs.join("\n"),
    );
  });

  it("with vpn:revokeOnDestroy false, destroy revokes nothing", async () => {
    const { outs } = await provider.create(w.rfc2136Inputs());
    const rev = await revocation.create(revocationInputs(outs, false));
    await revocation.delete(rev.id, rev.outs);
    assert.equal(await w.pebble.certStatus(serialOf(outs.certPem)), "Valid");
  });
});
