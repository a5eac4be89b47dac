// The rfc2136 solver (own TSIG client) against a real BIND on loopback.
import assert from "node:assert/strict";
import { createServer, Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import { rfc2136Client, rfc2136Solver } from "../../components/acme/solvers/rfc2136";
import type { Rfc2136DnsSettings } from "../../components/acme/types";
import { newTsigKey, TsigKeySpec, txtValues } from "./lib/bind";
import { accountKeyPem } from "./lib/keys";
import { CHALLENGE, startWorld, World, ZONE } from "./lib/world";

describe("rfc2136 solver against BIND", { timeout: 120_000 }, () => {
  let w: World;
  const settings = (key: TsigKeySpec, over: Partial<Rfc2136DnsSettings> = {}): Rfc2136DnsSettings => ({
    provider: "rfc2136",
    zone: ZONE,
    server: "127.0.0.1",
    port: w.bind.port,
    keyName: key.name,
    algorithm: key.algorithm,
    ...over,
  });
  const quiet = () => undefined;

  before(async () => {
    w = await startWorld();
  });
  after(async () => w?.stop());

  it("adds the challenge value and removes exactly that value", async () => {
    const admin = rfc2136Client(settings(w.adminKey), w.adminKey.secret, 5000);
    await admin.update([{ op: "add", name: CHALLENGE, value: "someone-elses-value" }]);
    try {
      const solver = rfc2136Solver(settings(w.challengeKey), w.challengeKey.secret, quiet, 5000);
      const rec = await solver.present(CHALLENGE, "our-value");
      assert.deepEqual((await w.challengeTxt()).sort(), ["our-value", "someone-elses-value"]);
      await solver.cleanup(rec);
      assert.deepEqual(await w.challengeTxt(), ["someone-elses-value"]);
    } finally {
      await admin.update([{ op: "deleteAll", name: CHALLENGE }]);
    }
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("signs with hmac-sha512 too, and handles values longer than one TXT string", async () => {
    const long = "x".repeat(300);
    const solver = rfc2136Solver(settings(w.sha512Key), w.sha512Key.secret, quiet, 5000);
    const rec = await solver.present(CHALLENGE, long);
    assert.deepEqual(await w.challengeTxt(), [long]);
    await solver.cleanup(rec);
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("wrong TSIG secret: BADSIG, naming the provider and the config key", async () => {
    const c = rfc2136Client(settings(w.challengeKey), newTsigKey("x").secret, 5000);
    await assert.rejects(
      c.update([{ op: "add", name: CHALLENGE, value: "v" }]),
      /^Error: DNS provider rfc2136 \(127\.0\.0\.1:\d+, key acme-test\): the server rejected the TSIG key: BADSIG \(the TSIG secret is wrong: check vpn:rfc2136Secret\)$/,
    );
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("unknown key name or algorithm: BADKEY", async () => {
    await assert.rejects(
      rfc2136Client(settings(w.challengeKey, { keyName: "no-such-key" }), w.challengeKey.secret, 5000).update([{ op: "add", name: CHALLENGE, value: "v" }]),
      /BADKEY .*vpn:rfc2136\.keyName/,
    );
    await assert.rejects(
      rfc2136Client(settings(w.challengeKey, { algorithm: "hmac-sha384" }), w.challengeKey.secret, 5000).update([{ op: "add", name: CHALLENGE, value: "v" }]),
      /BADKEY/,
    );
  });

  it("a name outside the key's update-policy: REFUSED with the grant to add", async () => {
    const c = rfc2136Client(settings(w.challengeKey), w.challengeKey.secret, 5000);
    await assert.rejects(c.update([{ op: "add", name: "_acme-challenge.other.example.com", value: "v" }]), /update refused: REFUSED .*update-policy/);
    assert.deepEqual(await txtValues("127.0.0.1", w.bind.port, "_acme-challenge.other.example.com"), []);
  });

  it("refuses an answer that is not signed with the key (spoofed reply)", async () => {
    const sockets: Socket[] = [];
    const fake = createServer((s) => {
      sockets.push(s);
      s.once("data", (d) => {
        const reply = Buffer.from(d.subarray(2, 14)); // header of the request
        reply.writeUInt16BE(0xa800, 2); // QR, opcode UPDATE, rcode NOERROR
        reply.fill(0, 4); // no sections, no TSIG
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.end(Buffer.concat([len, reply]));
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    try {
      const c = rfc2136Client(settings(w.challengeKey, { port: (fake.address() as AddressInfo).port }), w.challengeKey.secret, 5000);
      await assert.rejects(c.update([{ op: "add", name: CHALLENGE, value: "v" }]), /not signed with our TSIG key/);
    } finally {
      for (const s of sockets) s.destroy();
      fake.close();
    }
  });

  it("create with a wrong key fails fast, names the DNS provider and cause, leaves no record", async () => {
    const provider = createAcmeCertificateProvider({ log: quiet });
    const start = Date.now();
    // Fresh accounts, with no valid authorization pebble could reuse (PEBBLE_ENV): the create must reach DNS.
    const [a1, a2] = await Promise.all([accountKeyPem(), accountKeyPem()]);
    await assert.rejects(provider.create(w.rfc2136Inputs({ accountKeyPem: a1, dnsCredential: newTsigKey("x").secret })), /DNS provider rfc2136 .*BADSIG/);
    await assert.rejects(
      provider.create(w.rfc2136Inputs({ accountKeyPem: a2, dns: settings(w.challengeKey, { keyName: "wrong" }) })),
      /DNS provider rfc2136 .*BADKEY/,
    );
    assert.ok(Date.now() - start < 10000);
    assert.deepEqual(await w.challengeTxt(), []);
  });
});
