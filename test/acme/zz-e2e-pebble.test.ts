// The end-to-end tier once with a pebble-issued certificate: the provider issues
// for the harness's hostname, the project's render puts leaf, chain and key on the
// strongSwan server (test/lib harness, network namespaces), and a client that
// trusts only pebble's root connects. A client trusting another root is refused.
// (Named zz- so it runs last in the tier: it is the slowest.)
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import type { AcmeCertificateOutputs } from "../../components/acme/types";
import { FixtureUser, HOSTNAME, renderFixture, ZONE } from "../lib/fixture";
import { createTopology, Topology } from "../lib/netns";
import { createPki, TestPki } from "../lib/pki";
import { startServer } from "../lib/server";
import { Vpn } from "../lib/vpn";
import { certKeyAndCsr } from "./lib/keys";
import { startWorld, World } from "./lib/world";

const USERS: FixtureUser[] = [{ name: "alice", password: "pebble-issued-cert-test-pw" }];

describe("a client trusting pebble's root connects to the server with the pebble-issued certificate", { timeout: 180_000 }, () => {
  let w: World;
  let topology: Topology | undefined;
  let vpn: Vpn | undefined;
  let outs: AcmeCertificateOutputs;
  let pebbleRoot: string;

  before(async () => {
    w = await startWorld([{ name: ZONE, nameservers: ["127.0.0.1"] }]);
    const key = await certKeyAndCsr(HOSTNAME);
    ({ outs } = await createAcmeCertificateProvider({ log: () => undefined }).create(
      w.rfc2136Inputs({
        hostname: HOSTNAME,
        csrPem: key.csrPem,
        dns: { provider: "rfc2136", zone: ZONE, server: "127.0.0.1", port: w.bind.port, keyName: w.adminKey.name },
        dnsCredential: w.adminKey.secret,
      }),
    ));
    pebbleRoot = await w.pebble.rootPem();
    const pki: TestPki = {
      rootPem: pebbleRoot,
      intermediatePem: outs.chainPem,
      leafPem: outs.certPem,
      leafKeyPem: key.keyPem,
      certificate: { certPem: outs.certPem, chainPem: outs.chainPem, keyPem: key.keyPem },
    };
    topology = await createTopology();
    const render = renderFixture({ topology, pki, users: USERS });
    const server = await startServer(topology, { files: render.files });
    vpn = new Vpn(topology, pki, render, server, USERS);
  });

  after(async () => {
    if (vpn) await vpn.teardown();
    else await topology?.teardown();
    await w?.stop();
  });

  it("the certificate is pebble's, for the harness hostname", () => {
    const leaf = new X509Certificate(outs.certPem);
    assert.equal(leaf.subjectAltName, `DNS:${HOSTNAME}`);
    assert.match(leaf.issuer, /Pebble Intermediate/);
    assert.ok(leaf.verify(new X509Certificate(outs.chainPem).publicKey));
  });

  it("connects, and the client saw the server authenticate as its hostname", async () => {
    const c = await vpn!.connect({ user: "alice", password: USERS[0].password });
    const sa = await c.ikeSa();
    assert.equal(sa?.remoteId, HOSTNAME);
    assert.ok(c.vips.v4, "got a virtual IPv4 address");
    await vpn!.drop(c);
  });

  it("a client that trusts another root refuses the server", async () => {
    const other = await createPki(join(topology!.dir, "other-pki"), HOSTNAME);
    const c = await vpn!.client({ user: "alice", password: USERS[0].password, trustedRootPem: other.rootPem });
    const r = await c.connect();
    assert.equal(r.ok, false);
    await vpn!.drop(c);
  });
});
