// The linode solver against a loopback double of the Linode Domains API. The
// double mirrors records into BIND, so pebble can validate a real issuance.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAcmeCertificateProvider } from "../../components/acme/provider";
import { linodeSolver, relativeName } from "../../components/acme/solvers/linode";
import { rfc2136Client, Rfc2136Client } from "../../components/acme/solvers/rfc2136";
import type { AcmeCertificateInputs } from "../../components/acme/types";
import { accountKeyPem } from "./lib/keys";
import { LinodeDouble, startLinodeDouble } from "./lib/linodeDouble";
import { freePort } from "./lib/procs";
import { CHALLENGE, HOSTNAME, startWorld, World, ZONE } from "./lib/world";

const TOKEN = "linode-test-token-7f3a9c";
const DOMAIN_ID = 4242;

describe("linode solver against a Linode API double", { timeout: 120_000 }, () => {
  let w: World;
  let api: LinodeDouble;
  let bindAdmin: Rfc2136Client;
  const quiet = () => undefined;
  const inputs = (over: Partial<AcmeCertificateInputs> = {}) =>
    w.rfc2136Inputs({ dns: { provider: "linode", zone: ZONE, apiUrl: api.url }, dnsCredential: TOKEN, ...over });
  /** For a create that must reach the DNS provider: a fresh account, with no valid authorization pebble could reuse (PEBBLE_ENV). */
  const failingInputs = async (over: Partial<AcmeCertificateInputs>) => inputs({ accountKeyPem: await accountKeyPem(), ...over });

  before(async () => {
    w = await startWorld();
    bindAdmin = rfc2136Client({ provider: "rfc2136", zone: ZONE, server: "127.0.0.1", port: w.bind.port, keyName: w.adminKey.name }, w.adminKey.secret, 5000);
    api = await startLinodeDouble({
      token: TOKEN,
      domains: [
        { id: 7, domain: "other.example" },
        { id: DOMAIN_ID, domain: ZONE },
      ],
      onCreate: (domain, r) => bindAdmin.update([{ op: "add", name: `${r.name}.${domain}`, value: r.target }]),
      onDelete: (domain, r) => bindAdmin.update([{ op: "delete", name: `${r.name}.${domain}`, value: r.target }]),
    });
  });
  after(async () => {
    await api?.stop();
    await w?.stop();
  });

  it("record names are relative to the zone", () => {
    assert.equal(relativeName(CHALLENGE, ZONE), "_acme-challenge.vpn");
    assert.equal(relativeName(`_acme-challenge.${ZONE}.`, ZONE), "_acme-challenge");
    assert.throws(() => relativeName("_acme-challenge.vpn.example.org", ZONE), /not inside the zone/);
  });

  it("creates the TXT record and deletes exactly that record", async () => {
    api.requests.length = 0;
    const solver = linodeSolver({ provider: "linode", zone: ZONE, apiUrl: api.url }, TOKEN, quiet, 5000);
    const other = await solver.present(CHALLENGE, "someone-elses");
    const ours = await solver.present(CHALLENGE, "ours");
    assert.deepEqual(
      api.records(DOMAIN_ID).map((r) => r.target),
      ["someone-elses", "ours"],
    );
    await solver.cleanup(ours);
    assert.deepEqual(
      api.records(DOMAIN_ID).map((r) => r.target),
      ["someone-elses"],
    );
    await solver.cleanup(other);
    const oursId = (ours.handle as { recordId: number }).recordId;
    const r = api.requests.slice(2, 5); // the second present and its cleanup
    assert.deepEqual(
      r.map((x) => `${x.method} ${x.path} ${x.status}`),
      ["GET /v4/domains 200", `POST /v4/domains/${DOMAIN_ID}/records 200`, `DELETE /v4/domains/${DOMAIN_ID}/records/${oursId} 200`],
    );
    assert.equal(r[0].filter, JSON.stringify({ domain: ZONE }));
    assert.deepEqual(r[1].body, { type: "TXT", name: "_acme-challenge.vpn", target: "ours", ttl_sec: 300 });
    assert.ok(api.requests.every((x) => x.authorization === `Bearer ${TOKEN}`));
  });

  it("issues through pebble with the linode solver; the record is gone afterwards", async () => {
    api.requests.length = 0;
    const { outs } = await createAcmeCertificateProvider({ log: quiet }).create(inputs());
    assert.match(outs.certPem, /BEGIN CERTIFICATE/);
    assert.ok(!JSON.stringify(outs).includes(TOKEN), "the token must not reach the outputs");
    const [list, post, del] = api.requests;
    assert.equal(api.requests.length, 3, api.requests.map((x) => `${x.method} ${x.path}`).join("\n"));
    assert.equal(list.method, "GET");
    assert.equal(post.method, "POST");
    assert.equal(post.body?.name, "_acme-challenge.vpn");
    assert.equal(del.method, "DELETE");
    assert.equal(del.path, `/v4/domains/${DOMAIN_ID}/records/${post.response?.id}`);
    assert.deepEqual(api.records(DOMAIN_ID), []);
    assert.deepEqual(await w.challengeTxt(), []);
  });

  it("wrong token: names the provider and the cause, creates nothing, fast", async () => {
    api.requests.length = 0;
    const start = Date.now();
    await assert.rejects(
      createAcmeCertificateProvider({ log: quiet }).create(await failingInputs({ dnsCredential: "wrong-token" })),
      /DNS provider linode \(http:\/\/127\.0\.0\.1:\d+\/v4\): GET \/domains: HTTP 401 Invalid Token \(the API token was rejected: check linode:token\)/,
    );
    assert.ok(Date.now() - start < 5000);
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.status}`),
      ["GET 401"],
    );
    assert.deepEqual(api.records(DOMAIN_ID), []);
  });

  it("zone missing from the account, and API unreachable: clear errors", async () => {
    const p = createAcmeCertificateProvider({ log: quiet });
    await assert.rejects(
      p.create(await failingInputs({ dns: { provider: "linode", zone: "example.org", apiUrl: api.url }, hostname: HOSTNAME })),
      /has no domain example\.org/,
    );
    const closed = `http://127.0.0.1:${await freePort()}/v4`;
    await assert.rejects(
      p.create(await failingInputs({ dns: { provider: "linode", zone: ZONE, apiUrl: closed } })),
      /DNS provider linode .*GET \/domains failed: ECONNREFUSED/,
    );
  });
});
