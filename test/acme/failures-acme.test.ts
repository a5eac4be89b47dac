// Failures on the ACME side: each gives an error that says what happened and what
// to do, within a bounded time, and leaves no challenge record behind. (create
// rejecting means Pulumi records nothing: the previous state stays.)
import assert from "node:assert/strict";
import { createServer, Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import type { AcmeCertificateInputs, DnsSolver } from "../../components/acme/types";
import { RATE_LIMIT_DETAIL, startRateLimitingAcme } from "./lib/acmeDouble";
import { startPebble } from "./lib/pebble";
import { freePort } from "./lib/procs";
import { startWorld, World } from "./lib/world";

/** A provider whose solver counts its calls (and can act after publishing). */
function countingProvider(afterPresent?: () => Promise<void>) {
  const calls = { present: 0, cleanup: 0 };
  const wrap = (s: DnsSolver): DnsSolver => ({
    name: s.name,
    present: async (fqdn, value) => {
      calls.present++;
      const rec = await s.present(fqdn, value);
      await afterPresent?.();
      return rec;
    },
    cleanup: async (rec) => {
      calls.cleanup++;
      await s.cleanup(rec);
    },
  });
  return { calls, provider: createAcmeCertificateProvider({ log: () => undefined, wrapSolver: wrap }) };
}

async function failure(p: Promise<unknown>): Promise<{ message: string; ms: number }> {
  const start = Date.now();
  try {
    await p;
  } catch (e) {
    return { message: (e as Error).message, ms: Date.now() - start };
  }
  assert.fail("create should have failed");
}

describe("ACME failures", { timeout: 120_000 }, () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(async () => w?.stop());

  it("server unreachable (connection refused): clear error, fast, nothing published", async () => {
    const { calls, provider } = countingProvider();
    const url = `https://127.0.0.1:${await freePort()}/dir`;
    const f = await failure(provider.create(w.rfc2136Inputs({ directoryUrl: url })));
    assert.match(f.message, /cannot use the ACME server https:\/\/127\.0\.0\.1:\d+\/dir: connection refused by 127\.0\.0\.1:\d+ .*check vpn:acmeServer/);
    assert.match(f.message, /Nothing was changed/);
    assert.doesNotMatch(f.message, /Cannot read properties/);
    assert.ok(f.ms < 5000, `${f.ms} ms`);
    assert.deepEqual(calls, { present: 0, cleanup: 0 });
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("server silent (accepts, never answers): gives up after the request timeout", async () => {
    const sockets: Socket[] = [];
    const blackHole = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackHole.listen(0, "127.0.0.1", r));
    try {
      const { provider } = countingProvider();
      const port = (blackHole.address() as AddressInfo).port;
      const f = await failure(provider.create(w.rfc2136Inputs({ directoryUrl: `https://127.0.0.1:${port}/dir`, timeouts: { requestSeconds: 1 } })));
      assert.match(f.message, /no answer from 127\.0\.0\.1:\d+ within 1 s/);
      assert.ok(f.ms < 5000, `${f.ms} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      blackHole.close();
    }
  });

  it("CA not trusted: says so and how to trust a private CA", async () => {
    const { calls, provider } = countingProvider();
    const inputs: AcmeCertificateInputs = w.rfc2136Inputs();
    delete inputs.acmeServerCaPem;
    const f = await failure(provider.create(inputs));
    assert.match(f.message, /TLS certificate of 127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    assert.match(f.message, /acmeServerCaPem/);
    assert.equal(calls.present, 0);
  });

  it("rate limited: the CA's problem detail and Retry-After, no waiting; the profile was sent", async () => {
    const acme = await startRateLimitingAcme(w.ca);
    try {
      const { calls, provider } = countingProvider();
      const f = await failure(provider.create(w.rfc2136Inputs({ directoryUrl: acme.directoryUrl, profile: "shortlived" })));
      assert.match(f.message, /cannot create the order: rate limited by the CA/);
      assert.ok(f.message.includes(RATE_LIMIT_DETAIL), f.message);
      assert.match(f.message, /\(Retry-After: 3600 s\.\)/);
      assert.match(f.message, /staging/);
      assert.ok(f.ms < 5000, `${f.ms} ms (must not sleep for Retry-After)`);
      assert.equal(calls.present, 0);
      const order = acme.posts.find((p) => p.path === "/order");
      assert.deepEqual(order?.payload, { identifiers: [{ type: "dns", value: "vpn.example.com" }], profile: "shortlived" });
    } finally {
      await acme.stop();
    }
  });

  it("server dies after the record is published: names the cause, and the record is removed", async () => {
    const pebble = await startPebble(w.dir, w.ca, `127.0.0.1:${w.bind.port}`, "pebble-dies");
    try {
      const { calls, provider } = countingProvider(() => pebble.stop());
      const f = await failure(provider.create(w.rfc2136Inputs({ directoryUrl: pebble.directoryUrl })));
      assert.match(f.message, /cannot start validation of the dns-01 challenge: lost the ACME server .*connection refused/);
      assert.match(f.message, /challenge record _acme-challenge\.vpn\.example\.com was removed/);
      assert.deepEqual(calls, { present: 1, cleanup: 1 });
      assert.deepEqual(await w.challengeTxt(), []);
    } finally {
      await pebble.stop();
    }
  });
});
