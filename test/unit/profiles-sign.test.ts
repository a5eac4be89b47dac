import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { profileFiles, renderProfiles } from "../../model/profiles";
import { signAppleProfile } from "../../model/profiles/sign";
import { makeTestCa, PASSWORDS, STACK, TestCa, testConfig } from "./profiles-fixtures";

describe("signed Apple profile", () => {
  let ca: TestCa;
  let dir: string;
  before(() => {
    ca = makeTestCa("vpn.example.com");
    dir = mkdtempSync(join(tmpdir(), "profiles-sign-"));
    writeFileSync(join(dir, "root.pem"), ca.rootPem);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const material = () => ({ "us-ord": { certPem: ca.leafPem, chainPem: ca.intermediatePem, keyPem: ca.leafKeyPem } });

  /** openssl smime -verify against the throwaway root; returns the signed content. */
  function verify(der: Buffer): Buffer {
    writeFileSync(join(dir, "signed.der"), der);
    // -purpose any: the signer is a TLS server certificate (serverAuth), as an ACME certificate is.
    execFileSync("openssl", ["smime", "-verify", "-inform", "DER", "-in", "signed.der", "-CAfile", "root.pem", "-purpose", "any", "-out", "content.out"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return readFileSync(join(dir, "content.out"));
  }

  it("verifies against the root with the chain it carries, and holds the unsigned profile byte for byte", () => {
    const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS, certificates: material() });
    const set = profiles.alice["us-ord"];
    assert.ok(set.appleSigned);
    const der = Buffer.from(set.appleSigned, "base64");
    assert.equal(verify(der).toString("utf8"), set.apple);
    assert.deepEqual(profileFiles("alice", "us-ord", set)["alice-signed.mobileconfig"], der);
    // Certificates travel inside: leaf and intermediate, not the root.
    writeFileSync(join(dir, "signed.der"), der);
    const certs = execFileSync("openssl", ["pkcs7", "-inform", "DER", "-in", "signed.der", "-print_certs", "-noout"], { cwd: dir, encoding: "utf8" });
    assert.match(certs, /subject=CN ?= ?vpn\.example\.com/);
    assert.match(certs, /subject=CN ?= ?Profiles Test Intermediate/);
    assert.doesNotMatch(certs, /subject=CN ?= ?Profiles Test Root/);
  });

  it("fails verification when the content is tampered with", () => {
    const der = signAppleProfile("<plist>original</plist>", material()["us-ord"])!;
    const tampered = Buffer.from(der.toString("binary").replace("original", "Original"), "binary");
    assert.notDeepEqual(tampered, der);
    assert.throws(() => verify(tampered));
  });

  it("is deterministic (no signing time): same inputs, same bytes; a changed profile, a changed signature", () => {
    const a = signAppleProfile("<plist>x</plist>", material()["us-ord"])!;
    const b = signAppleProfile("<plist>x</plist>", material()["us-ord"])!;
    const c = signAppleProfile("<plist>y</plist>", material()["us-ord"])!;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    writeFileSync(join(dir, "signed.der"), a);
    const attrs = execFileSync("openssl", ["cms", "-cmsout", "-print", "-inform", "DER", "-in", "signed.der"], { cwd: dir, encoding: "utf8" });
    assert.doesNotMatch(attrs, /signingTime/);
    assert.match(attrs, /messageDigest/);
  });

  it("is emitted only for regions that have a certificate, and not for non-RSA keys", () => {
    const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS, certificates: material() });
    assert.equal(profiles.alice["eu-central"].appleSigned, undefined);
    assert.equal(profileFiles("alice", "eu-central", profiles.alice["eu-central"])["alice-signed.mobileconfig"], undefined);
    const ec = makeTestCa("vpn.example.com", "ec");
    assert.equal(signAppleProfile("<plist/>", { certPem: ec.leafPem, chainPem: ec.intermediatePem, keyPem: ec.leafKeyPem }), undefined);
  });
});
