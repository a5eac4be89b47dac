import { test } from "node:test";
import assert from "node:assert/strict";
import { CLIENT_SUITES, clientEspString, clientIkeString, PROPOSAL_TABLE, serverEspProposals, serverIkeProposals } from "../../model/proposals";

/** strongSwan's matching: a client proposal is accepted when one server proposal contains each of its algorithms. */
function accepts(serverProposals: string[], client: string): boolean {
  const wanted = client.split("-");
  return serverProposals.some((p) => {
    const have = new Set(p.split("-"));
    return wanted.every((a) => have.has(a));
  });
}

test("modern IKE proposals: AEAD first, then CBC+HMAC SHA-2, no SHA1/modp1024/3des", () => {
  const ike = serverIkeProposals("modern");
  assert.match(ike[0], /^aes256gcm16-aes128gcm16-chacha20poly1305-prfsha384-prfsha256-curve25519-ecp384-ecp256-modp3072-modp2048$/);
  assert.match(ike[1], /^aes256-aes128-sha384-sha256-/);
  for (const p of ike) assert.doesNotMatch(p, /sha1|modp1024|3des|!/);
});

test("no IKE proposal offers prfsha512 without a SHA-384 or SHA-256 alternative (Windows tops out at SHA384)", () => {
  for (const p of [...serverIkeProposals("modern"), ...serverIkeProposals("legacy")]) {
    if (p.includes("sha512")) assert.match(p, /sha384|sha256/);
  }
});

test("ESP is offered with and without a DH group for every cipher family", () => {
  const esp = serverEspProposals("modern");
  assert.ok(esp.some((p) => p.startsWith("aes256gcm16") && p.includes("curve25519")));
  assert.ok(esp.some((p) => p.startsWith("aes256gcm16") && !/curve|ecp|modp/.test(p)));
  assert.ok(esp.some((p) => p.startsWith("aes256-") && p.includes("modp2048")));
  assert.ok(esp.some((p) => p.startsWith("aes256-") && !/curve|ecp|modp/.test(p)));
});

test("legacy adds exactly the stock-Windows set, after the modern ones", () => {
  const modern = serverIkeProposals("modern");
  const legacy = serverIkeProposals("legacy");
  assert.deepEqual(legacy.slice(0, modern.length), modern);
  assert.deepEqual(legacy.slice(modern.length), ["aes256-aes128-sha256-sha1-modp1024"]);
  const espModern = serverEspProposals("modern");
  assert.deepEqual(serverEspProposals("legacy").slice(espModern.length), ["aes256-aes128-3des-sha1"]);
  assert.equal(PROPOSAL_TABLE.filter((t) => t.tier === "legacy").length, 1);
});

test("stock Windows is refused in modern mode and accepted in legacy mode", () => {
  const windowsIke = "aes256-sha1-modp1024";
  assert.equal(accepts(serverIkeProposals("modern"), windowsIke), false);
  assert.equal(accepts(serverIkeProposals("legacy"), windowsIke), true);
  assert.equal(accepts(serverEspProposals("legacy"), "aes256-sha1"), true);
});

for (const [platform, suite] of Object.entries(CLIENT_SUITES)) {
  test(`the ${platform} client suite is accepted by the modern server, with and without PFS`, () => {
    assert.ok(accepts(serverIkeProposals("modern"), clientIkeString(suite)), clientIkeString(suite));
    assert.ok(accepts(serverEspProposals("modern"), clientEspString(suite, true)), clientEspString(suite, true));
    assert.ok(accepts(serverEspProposals("modern"), clientEspString(suite, false)), clientEspString(suite, false));
  });
}

// Lifetimes: test/unit/rekey.test.ts.
