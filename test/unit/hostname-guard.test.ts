// The hostname pre-flight check against a loopback stand-in for the Linode API:
// it pages through the domain's records, fails naming a foreign A/AAAA record, and
// asks nothing once the guard exists (later runs see this stack's own records).
import assert from "node:assert/strict";
import { createServer, IncomingMessage, Server } from "node:http";
import { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { hostnameGuardProvider } from "../../components/hostnameGuard";

const TOKEN = "guard-token-0123456789";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Rec {
  id: number;
  type: string;
  name: string;
  target: string;
}

describe("HostnameGuard.check", () => {
  let server: Server;
  let base = "";
  let records: Rec[] = [];
  /** The account's Linodes: label, IPv4s, SLAAC IPv6 (as GET linode/instances gives them). */
  let linodes: { label: string; ipv4: string[]; ipv6: string }[] = [];
  const seen: IncomingMessage[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const url = new URL(req.url ?? "/", "http://x");
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { "Content-Type": "application/json" }).end(JSON.stringify({ errors: [{ reason: "Invalid Token" }] }));
        return;
      }
      if (url.pathname === "/v4/linode/instances") {
        // Honour the label filter as Linode does ({"+or":[{"label":...}]}).
        const wanted = (JSON.parse(String(req.headers["x-filter"] ?? "{}"))["+or"] ?? []).map((f: { label: string }) => f.label);
        const data = linodes.filter((l) => wanted.includes(l.label));
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ data, page: 1, pages: 1, results: data.length }));
        return;
      }
      const m = /^\/v4\/domains\/(\d+)\/records$/.exec(url.pathname);
      if (!m || m[1] !== "77") {
        res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ errors: [{ reason: "Not found" }] }));
        return;
      }
      // Pages of 2, ignoring the filter (the check must not rely on it).
      const page = Number(url.searchParams.get("page") ?? 1);
      const pages = Math.max(1, Math.ceil(records.length / 2));
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ data: records.slice((page - 1) * 2, page * 2), page, pages, results: records.length }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4`;
  });
  after(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );

  const news = (over: Record<string, unknown> = {}) => ({
    hostname: "vpn.example.com",
    zone: "example.com",
    recordName: "vpn",
    domainId: 77,
    apiUrl: base,
    token: TOKEN,
    ownLabels: ["vpn-dev-us-ord-abc123", "vpn-dev-us-ord"],
    ...over,
  });

  it("passes when the zone has no A/AAAA for the name (other names and types do not count)", async () => {
    records = [
      { id: 1, type: "A", name: "www", target: "192.0.2.1" },
      { id: 2, type: "TXT", name: "vpn", target: "hello" },
      { id: 3, type: "CNAME", name: "mail", target: "x.example.net" },
    ];
    const r = await hostnameGuardProvider.check({}, news());
    assert.deepEqual(r.failures, []);
    const last = seen.at(-1)!;
    assert.equal(last.headers["x-filter"], JSON.stringify({ name: "vpn" }));
    assert.match(last.url!, /page=2/, "followed the pagination");
  });

  it("fails naming the foreign record, found on a later page", async () => {
    records = [
      { id: 1, type: "A", name: "www", target: "192.0.2.1" },
      { id: 2, type: "TXT", name: "vpn", target: "hello" },
      { id: 9, type: "AAAA", name: "VPN", target: "2001:db8::99" },
    ];
    const r = await hostnameGuardProvider.check({}, news());
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0].property, "hostname");
    assert.match(
      r.failures[0].reason,
      /vpn\.example\.com already has AAAA vpn\.example\.com -> 2001:db8::99 \(Linode record 9\) in the Linode domain example\.com, not made by this stack/,
    );
    assert.match(r.failures[0].reason, /Nothing was created in Linode or at the CA/);
  });

  it("records that point at a Linode with one of this stack's labels are its own (older stacks, a VM being replaced)", async () => {
    records = [
      { id: 4, type: "A", name: "vpn", target: "203.0.113.10" },
      { id: 5, type: "AAAA", name: "vpn", target: "2001:db8:7700::100" },
    ];
    // The VM still carries the label of the scheme before the hashed one.
    linodes = [{ label: "vpn-dev-us-ord", ipv4: ["203.0.113.10"], ipv6: "2001:DB8:7700:0::100/128" }];
    assert.deepEqual((await hostnameGuardProvider.check({}, news() as any)).failures, []);
    assert.equal(JSON.parse(String(seen.at(-1)!.headers["x-filter"]))["+or"].length, 2, "asked for both labels");
    // Another project's VM at the IPv6 address is not ours.
    linodes = [
      { label: "vpn-dev-us-ord", ipv4: ["203.0.113.10"], ipv6: "2001:db8:7700::200/128" },
      { label: "someone-else", ipv4: [], ipv6: "2001:db8:7700::100/128" },
    ];
    const r = await hostnameGuardProvider.check({}, news());
    assert.match(r.failures[0].reason, /AAAA .* 2001:db8:7700::100 \(Linode record 5\)/);
    linodes = [];
  });

  it("asks nothing once the guard exists, or while the domain is not known yet", async () => {
    records = [{ id: 4, type: "A", name: "vpn", target: "198.51.100.1" }];
    const before = seen.length;
    assert.deepEqual((await hostnameGuardProvider.check(news() as any, news() as any)).failures, []);
    assert.deepEqual((await hostnameGuardProvider.check({}, news({ domainId: UNKNOWN }) as any)).failures, []);
    assert.equal(seen.length, before, "no request");
  });

  it("checks again when the hostname of an existing region changes", async () => {
    records = [{ id: 6, type: "A", name: "vpn2", target: "198.51.100.2" }];
    const olds = news();
    const r = await hostnameGuardProvider.check(olds, news({ hostname: "vpn2.example.com", recordName: "vpn2" }));
    assert.match(r.failures[0]?.reason ?? "", /vpn2\.example\.com already has A vpn2\.example\.com -> 198\.51\.100\.2/);
    assert.deepEqual(await hostnameGuardProvider.diff("id", olds, news({ hostname: "vpn2.example.com", recordName: "vpn2" }) as any), { changes: true });
    assert.deepEqual(await hostnameGuardProvider.diff("id", olds, news({ token: "rotated" }) as any), { changes: false });
  });

  it("an API error fails the check with the reason", async () => {
    const r = await hostnameGuardProvider.check({}, news({ token: "wrong" }));
    assert.match(r.failures[0].reason, /cannot check the existing DNS records of vpn\.example\.com: GET .*HTTP 401.*check linode:token/);
  });
});

describe("HostnameGuard.check against the local Linode world's API", () => {
  it("finds a foreign A record made through the API, and none for a free name", async (t) => {
    const { startLinodeApi } = await import("../engine/world/api");
    const noop = async () => undefined;
    const api = await startLinodeApi({
      token: TOKEN,
      zones: ["example.com"],
      regions: [{ id: "us-ord", capabilities: ["Linodes"] }],
      machines: { create: noop, destroy: noop, routeRange: noop, unrouteRange: noop },
      firewalls: { apply: noop },
      dns: { apply: noop, resolve: async () => [] },
      addresses: { ipv4: (i) => `203.0.113.${10 + i}`, ipv6Slaac: (i) => `2001:db8:7700::${100 + i}`, range64: (i) => `2001:db8:77${10 + i}::/64` },
    });
    t.after(() => api.stop());
    const call = async (method: string, path: string, body?: unknown) =>
      (
        await fetch(`${api.url}/v4/${path}`, {
          method,
          headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      ).json() as Promise<any>;
    const domain = (await call("GET", "domains")).data[0];
    const rec = await call("POST", `domains/${domain.id}/records`, { type: "A", name: "vpn", target: "198.51.100.7", ttl_sec: 300 });
    const inputs = {
      hostname: "vpn.example.com",
      zone: "example.com",
      recordName: "vpn",
      domainId: domain.id,
      apiUrl: `${api.url}/v4`,
      token: TOKEN,
      ownLabels: ["vpn-dev-us-ord-abc123"],
    };
    const r = await hostnameGuardProvider.check({}, inputs);
    assert.match(r.failures[0]?.reason ?? "", new RegExp(`A vpn\\.example\\.com -> 198\\.51\\.100\\.7 \\(Linode record ${rec.id}\\)`));
    assert.deepEqual((await hostnameGuardProvider.check({}, { ...inputs, hostname: "ord.example.com", recordName: "ord" } as any)).failures, []);
  });
});
