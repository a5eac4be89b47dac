// Failures around DNS-01: the CA sees no record (challenge invalid) and a lagging
// authoritative name server (propagation timeout). pebble-challtestsrv on
// 127.0.0.2 plays a name server that never gets the record.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import { txtValues } from "./lib/bind";
import { certKeyAndCsr } from "./lib/keys";
import { ChallTestSrv, Pebble, startChallTestSrv, startPebble } from "./lib/pebble";
import { startWorld, World } from "./lib/world";

const LAG_ZONE = "lag.example.net";
const LAG_HOST = `vpn.${LAG_ZONE}`;

describe("DNS-01 failures", { timeout: 120_000 }, () => {
  let w: World;
  let stale: ChallTestSrv;
  let blindPebble: Pebble;
  const logs: string[] = [];
  const provider = createAcmeCertificateProvider({ log: (m) => logs.push(m) });

  before(async () => {
    w = await startWorld([{ name: LAG_ZONE, nameservers: ["127.0.0.1", "127.0.0.2"] }]);
    stale = await startChallTestSrv("127.0.0.2", w.bind.port);
    // A CA whose resolver is the stale server: it never sees the record.
    blindPebble = await startPebble(w.dir, w.ca, stale.dns, "pebble-blind");
  });
  after(async () => {
    await blindPebble?.stop();
    await stale?.stop();
    await w?.stop();
  });

  it("challenge invalid: the CA's problem document, hints, record removed, bounded", async () => {
    const start = Date.now();
    await assert.rejects(provider.create(w.rfc2136Inputs({ directoryUrl: blindPebble.directoryUrl })), (e: Error) => {
      assert.match(e.message, /the CA rejected the dns-01 challenge for vpn\.example\.com: unauthorized: .*(No TXT|Correct value not found)/);
      assert.match(e.message, /delegated/);
      assert.match(e.message, /challenge record _acme-challenge\.vpn\.example\.com was removed/);
      return true;
    });
    assert.ok(Date.now() - start < 20000);
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("a name server that never serves the value: names it after the timeout, record removed", async () => {
    const csr = await certKeyAndCsr(LAG_HOST);
    const fqdn = `_acme-challenge.${LAG_HOST}`;
    const start = Date.now();
    logs.length = 0;
    const inputs = w.rfc2136Inputs({
      hostname: LAG_HOST,
      csrPem: csr.csrPem,
      dns: { provider: "rfc2136", zone: LAG_ZONE, server: "127.0.0.1", port: w.bind.port, keyName: w.adminKey.name },
      dnsCredential: w.adminKey.secret,
      propagation: { ...w.propagation, timeoutSeconds: 1.5, intervalSeconds: 0.25 },
    });
    await assert.rejects(provider.create(inputs), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`TXT record ${fqdn.replace(/\./g, "\\.")} is still not served by ns2\\.${LAG_ZONE.replace(/\./g, "\\.")} \\(no TXT record yet\\)`),
      );
      assert.doesNotMatch(e.message, /ns1\./, "ns1 has the record and must not be blamed");
      assert.match(e.message, /was removed/);
      return true;
    });
    assert.ok(Date.now() - start < 8000, `${Date.now() - start} ms`);
    assert.ok(
      logs.some((l) => l.includes(`all 2 name servers of ${LAG_ZONE}`)),
      logs.join("\n"),
    );
    assert.deepEqual(await txtValues("127.0.0.1", w.bind.port, fqdn), []);
  });
});
