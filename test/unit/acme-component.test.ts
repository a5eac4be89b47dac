// ServerCertificate under Pulumi mocks: what it registers, which inputs are secret,
// and the serialized dynamic provider (no secret inside; loadable the way Pulumi's
// dynamic provider host loads it, with pure check and diff).
import assert from "node:assert/strict";
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { describe, it } from "node:test";
import { linodeApiBase, ServerCertificate } from "../../components/certificate";
import type { AcmeCertificateProvider } from "../../components/acme/provider";
import type { VpnConfig } from "../../model/types";
import { mockCertificateMaterial, runProgram } from "./mocks";

const TOKEN = "linode-token-must-not-leak-5b1e";
const TSIG = "dHNpZy1zZWNyZXQtbXVzdC1ub3QtbGVhay0wMTIzNDU2Nzg5";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

const acme = (over: Partial<VpnConfig["acme"]> = {}): VpnConfig["acme"] => ({
  directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory",
  revokeOnDestroy: false,
  dnsProvider: "linode",
  ...over,
});

/** Resource options the dynamic resource was registered with (mocks do not see options). */
const dynamicOpts: pulumi.CustomResourceOptions[] = [];

async function register(args: ConstructorParameters<typeof ServerCertificate>[1]) {
  return runProgram({}, () => {
    pulumi.runtime.registerStackTransformation((a) => {
      if (a.type === DYNAMIC) dynamicOpts.push(a.opts);
      return undefined;
    });
    const c = new ServerCertificate("us-ord-cert", args);
    return { certPem: c.certPem, keyPem: c.keyPem, notAfter: c.notAfter, accountUrl: c.accountUrl };
  });
}

/** Loads serialized provider text as Pulumi's dynamic provider host does (require-from-string). */
function loadProvider(text: string): AcmeCertificateProvider {
  const m = new Module("serialized-provider.js") as Module & { _compile(code: string, filename: string): void };
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(text, "serialized-provider.js");
  return (m.exports as { handler(): AcmeCertificateProvider }).handler();
}

describe("ServerCertificate under mocks", () => {
  it("linode: ECDSA P-256 account key, RSA certificate key, CSR with the hostname, the ACME resource", async () => {
    const run = await register({
      hostname: "vpn.example.com",
      zone: "example.com",
      acme: acme({ email: "ops@example.com", profile: "tlsserver", renewBeforeDays: 20 }),
      linodeToken: TOKEN,
    });
    assert.equal(run.byName("us-ord-cert").type, "vpn:index:ServerCertificate");
    assert.deepEqual(run.byName("us-ord-cert-account-key").inputs, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    assert.deepEqual(run.byName("us-ord-cert-key").inputs, { algorithm: "RSA", rsaBits: 2048 });
    const csr = run.byName("us-ord-cert-csr").inputs;
    assert.deepEqual(csr.subject, { commonName: "vpn.example.com" });
    assert.deepEqual(csr.dnsNames, ["vpn.example.com"]);
    const dyn = run.byName("us-ord-cert-acme");
    assert.equal(dyn.type, DYNAMIC);
    assert.equal(dyn.parent, "us-ord-cert");
    assert.equal(dyn.inputs.hostname, "vpn.example.com");
    assert.equal(dyn.inputs.directoryUrl, "https://acme-staging-v02.api.letsencrypt.org/directory");
    assert.deepEqual(dyn.inputs.dns, { provider: "linode", zone: "example.com" });
    assert.equal(dyn.inputs.email, "ops@example.com");
    assert.equal(dyn.inputs.profile, "tlsserver");
    assert.equal(dyn.inputs.renewBeforeDays, 20);
    assert.equal(dyn.inputs.dnsCredential, TOKEN);
    assert.ok(dyn.secretInputs.includes("dnsCredential"));
    assert.ok(dyn.secretInputs.includes("accountKeyPem"));
    assert.deepEqual(dynamicOpts.at(-1)?.additionalSecretOutputs, ["accountKeyPem"], "key material in the outputs is secret");
    assert.deepEqual(run.outputs.keyPem, mockCertificateMaterial().keyPem);
    assert.ok(run.secretOutputs.includes("keyPem"));
    assert.ok(!run.secretOutputs.includes("certPem"));
    assert.match(String(run.outputs.notAfter), /^\d{4}-\d\d-\d\dT/);
  });

  it("the serialized provider holds no secret and works when loaded like Pulumi does", async () => {
    const run = await register({ hostname: "vpn.example.com", zone: "example.com", acme: acme(), linodeToken: TOKEN, keyBits: 3072 });
    assert.equal(run.byName("us-ord-cert-key").inputs.rsaBits, 3072);
    const text = run.byName("us-ord-cert-acme").inputs.__provider as string;
    assert.ok(text.length > 1000);
    assert.ok(!text.includes(TOKEN), "token captured in the provider closure");
    assert.doesNotMatch(text, /PRIVATE KEY|MOCKSECRET/);
    assert.doesNotMatch(text, /require\("\.\.?\//, "local modules must be inlined, not required by path");
    const p = loadProvider(text);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // how preview passes values not known yet
    const inputs = {
      hostname: "vpn.example.com",
      directoryUrl: "http://not-https/dir",
      csrPem: unknown,
      accountKeyPem: unknown,
      dns: { provider: "linode" as const, zone: "example.com" },
      dnsCredential: TOKEN,
    };
    const { failures } = await p.check({}, inputs);
    assert.deepEqual(
      failures.map((f) => f.property),
      ["directoryUrl"],
    );
    const { certPem } = mockCertificateMaterial(); // valid 2026-12-01 .. 2027-03-01
    const olds = {
      ...inputs,
      directoryUrl: "https://acme.example/dir",
      csrPem: "C",
      accountKeyPem: "K",
      certPem,
      chainPem: "",
      notBefore: "",
      notAfter: "",
      accountUrl: "",
      certificateUrl: "",
    };
    const news = { ...olds, dnsCredential: TOKEN };
    const d = await p.diff("id", olds, news);
    assert.equal(typeof d.changes, "boolean");
    assert.deepEqual((await p.diff("id", olds, { ...news, hostname: "other.example.com" })).replaces, ["hostname"]);
  });

  it("vpn:revokeOnDestroy: a revocation resource holding the current certificate, never replaced, key secret", async () => {
    const run = await register({ hostname: "vpn.example.com", zone: "example.com", acme: acme({ revokeOnDestroy: true }), linodeToken: TOKEN });
    const rev = run.byName("us-ord-cert-revocation");
    assert.equal(rev.type, DYNAMIC);
    assert.equal(rev.parent, "us-ord-cert");
    assert.equal(rev.inputs.enabled, true);
    assert.equal(rev.inputs.hostname, "vpn.example.com");
    assert.equal(rev.inputs.certPem, mockCertificateMaterial().certPem, "the certificate the ACME resource holds now");
    assert.equal(rev.inputs.accountUrl, "https://acme.invalid/acct/1");
    assert.ok(rev.secretInputs.includes("accountKeyPem"));
    assert.ok(!("revokeOnDestroy" in run.byName("us-ord-cert-acme").inputs), "the certificate itself never revokes");
    const text = String(rev.inputs.__provider);
    assert.doesNotMatch(text, /PRIVATE KEY|MOCKSECRET/);
    const p = loadProvider(text) as unknown as { diff(id: string, o: unknown, n: unknown): Promise<{ changes: boolean; replaces: string[] }> };
    const olds = { ...rev.inputs, __provider: undefined };
    const renewed = { ...olds, certPem: "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n" };
    assert.deepEqual(await p.diff("id", olds, renewed), { changes: true, replaces: [], deleteBeforeReplace: false }, "a renewal is an update, not a delete");
    assert.deepEqual((await p.diff("id", olds, { ...olds, enabled: false })).replaces, []);
  });

  it("rfc2136: settings from vpn:rfc2136, the TSIG secret as a secret input, not in the provider text", async () => {
    const run = await register({
      hostname: "vpn.example.com",
      zone: "example.com",
      acme: acme({
        dnsProvider: "rfc2136",
        rfc2136: { server: "ns1.example.net", port: 5353, keyName: "acme", algorithm: "hmac-sha512" },
        rfc2136Secret: TSIG,
      }),
    });
    const dyn = run.byName("us-ord-cert-acme");
    assert.deepEqual(dyn.inputs.dns, {
      provider: "rfc2136",
      zone: "example.com",
      server: "ns1.example.net",
      port: 5353,
      keyName: "acme",
      algorithm: "hmac-sha512",
    });
    assert.equal(dyn.inputs.dnsCredential, TSIG);
    assert.ok(dyn.secretInputs.includes("dnsCredential"));
    assert.ok(!String(dyn.inputs.__provider).includes(TSIG));
  });

  it("refuses to start without the DNS credential", () => {
    assert.throws(() => new ServerCertificate("x", { hostname: "vpn.example.com", zone: "example.com", acme: acme() }), /needs the Linode API token/);
    assert.throws(
      () => new ServerCertificate("y", { hostname: "vpn.example.com", zone: "example.com", acme: acme({ dnsProvider: "rfc2136" }) }),
      /needs vpn:rfc2136 and vpn:rfc2136Secret/,
    );
  });

  it("linode:url may be the bare API host; the DNS API lives under /v4", () => {
    assert.equal(linodeApiBase("https://api.linode.com"), "https://api.linode.com/v4");
    assert.equal(linodeApiBase("https://api.linode.com/"), "https://api.linode.com/v4");
    assert.equal(linodeApiBase("http://127.0.0.1:8080/v4"), "http://127.0.0.1:8080/v4");
    assert.equal(linodeApiBase(undefined), undefined);
  });
});
