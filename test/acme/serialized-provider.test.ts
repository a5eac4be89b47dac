// The provider exactly as Pulumi runs it: serialized the way pulumi.dynamic.Resource
// serializes it, loaded the way the dynamic provider host loads it (a module
// compiled from text, resolving packages from the program directory), then a real
// issuance, renewal diff and revocation against pebble.
import assert from "node:assert/strict";
import Module from "node:module";
import * as net from "node:net";
import { X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { AcmeCertificateProvider, acmeCertificateProvider } from "../../components/acme/provider";
import { createRevocationProvider, RevocationProvider } from "../../components/acme/revocation";
import type { AcmeCertificateOutputs } from "../../components/acme/types";
import { startWorld, World } from "./lib/world";

function loadProvider<T = AcmeCertificateProvider>(text: string): T {
  const m = new Module("serialized-provider.js") as Module & { _compile(code: string, filename: string): void };
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(text, "serialized-provider.js");
  return (m.exports as { handler(): T }).handler();
}

describe("the serialized provider against pebble", { timeout: 120_000 }, () => {
  let w: World;
  let text: string;
  let provider: AcmeCertificateProvider;
  let outs: AcmeCertificateOutputs;
  let id: string;
  const stderr: string[] = [];

  before(async () => {
    w = await startWorld();
    // Same call as pulumi.dynamic.Resource's serializeProvider.
    text = (await pulumi.runtime.serializeFunction(() => acmeCertificateProvider, { allowSecrets: true })).text;
    provider = loadProvider(text);
  });
  after(async () => w?.stop());

  it("issues a certificate, with progress on stderr (which Pulumi shows)", async () => {
    const original = console.error;
    console.error = (...a: unknown[]) => void stderr.push(a.join(" "));
    try {
      ({ id, outs } = await provider.create(w.rfc2136Inputs()));
    } finally {
      console.error = original;
    }
    assert.equal(new X509Certificate(outs.certPem).subjectAltName, "DNS:vpn.example.com");
    assert.ok(
      stderr.some((l) => l.startsWith("DNS-01: waiting until all 1 name servers")),
      stderr.join("\n"),
    );
    assert.ok(stderr.some((l) => l.startsWith("ACME: issued vpn.example.com")));
    assert.ok(!stderr.join("\n").includes(w.challengeKey.secret));
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("the serialized revocation provider revokes the current certificate on delete", async () => {
    const revocation = createRevocationProvider();
    const rev = loadProvider<RevocationProvider>((await pulumi.runtime.serializeFunction(() => revocation, { allowSecrets: true })).text);
    const inputs = {
      enabled: true,
      hostname: outs.hostname,
      directoryUrl: outs.directoryUrl,
      accountKeyPem: w.accountKey,
      accountUrl: outs.accountUrl,
      certPem: outs.certPem,
      notAfter: outs.notAfter,
      acmeServerCaPem: w.ca.caPem,
    };
    const created = await rev.create(inputs);
    const serial = new X509Certificate(outs.certPem).serialNumber.toLowerCase().replace(/^0+/, "");
    assert.equal(await w.pebble.certStatus(serial), "Valid");
    await rev.delete(created.id, created.outs);
    assert.equal(await w.pebble.certStatus(serial), "Revoked");
  });

  it("check and diff are pure: no connection, and they work with every server stopped", async () => {
    const inputs = w.rfc2136Inputs();
    await w.pebble.stop();
    await w.bind.stop();
    const connect = net.Socket.prototype.connect;
    let connects = 0;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      connects++;
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    };
    try {
      assert.deepEqual((await provider.check({}, inputs)).failures, []);
      assert.deepEqual(await provider.diff(id, outs, inputs), { changes: false, replaces: [], deleteBeforeReplace: false });
      assert.deepEqual((await provider.diff(id, outs, { ...inputs, hostname: "vpn2.example.com" })).replaces, ["hostname"]);
    } finally {
      net.Socket.prototype.connect = connect;
    }
    assert.equal(connects, 0);
  });
});
