// One-time profile links end to end: Debian's nginx and its njs module configured
// by exactly the rendered files, in the server namespace beside charon and behind
// the rendered firewall; the rendered vpn-share adds, lists, revokes and sweeps
// links with the bundle `npm run share` sends (linkBundle). A device in a client
// namespace fetches them with curl, trusting only the test CA and reaching the
// server by its hostname. Every request comes from an address of its own unless a
// test says otherwise: nginx limits requests per address, and the rate-limit test
// is the one that wants that.
// Over 400 lines on purpose: one server (charon, nginx, the rendered firewall) is set
// up once for every case; a second file would start it again for a few cases.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderProfiles, profileFiles, Profiles, ProfileSet } from "../../model/profiles";
import { SHARE_PATHS, TOKEN_BYTES } from "../../model/server/share";
import { linkBundle, linkOffers, parseLinkList, tokenFromBytes, tokenPrefix } from "../../model/share/link";
import { inNs, run } from "../lib/exec";
import { fixtureConfig, FixtureUser, HOSTNAME, renderFixture } from "../lib/fixture";
import { createTopology, Topology } from "../lib/netns";
import { createPki, TestPki } from "../lib/pki";
import { startServer, VpnServer } from "../lib/server";
import { Fetched, ShareClient, ShareServer, startShareClient, startShareServer, UNKNOWN_UA } from "../lib/share";
import { waitFor } from "../lib/wait";

const USERS: FixtureUser[] = [
  { name: "alice", password: "alice-share-passw0rd" },
  { name: "bob", password: "bob-share-passw0rd" },
  { name: "carol", password: "carol-share-passw0rd" },
  { name: "dave", password: "dave-share-passw0rd" },
  // A short user name: `vpn-share revoke cy` must not read it as a token prefix.
  { name: "cy", password: "cy-share-passw0rd" },
];

const UA = {
  iphone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  android: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
  windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
  linux: "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
  unknown: UNKNOWN_UA,
};

/** What a device must be told, by file name ending (written out here, not taken from the model). */
const CONTENT_TYPES: Array<[string, string]> = [
  [".mobileconfig", "application/x-apple-aspen-config"],
  [".sswan", "application/vnd.strongswan.profile"],
  [".ps1", "application/octet-stream"],
  [".nmconnection", "application/octet-stream"],
  [".swanctl.conf", "application/octet-stream"],
];

function contentTypeFor(file: string): string {
  const t = CONTENT_TYPES.find(([ext]) => file.endsWith(ext));
  assert.ok(t, `no expected content type for ${file}`);
  return t[1];
}

const NOT_FOUND_TEXT = "Not found. A share link works once per file and expires; ask for a new one.\n";
const HSTS = "max-age=31536000";

/** The bundle's files (name -> bytes), as `vpn-share add` decodes them. */
function bundleFiles(bundle: string): Record<string, Buffer> {
  const lines = bundle.split("\n").filter(Boolean).slice(1);
  return Object.fromEntries(lines.map((l) => l.split(" ") as [string, string]).map(([name, b64]) => [name, Buffer.from(b64, "base64")]));
}

/** The page's section titles, in order, and whether the first one is marked as first. */
function sectionTitles(html: string): { titles: string[]; firstMarked: boolean } {
  const sections = [...html.matchAll(/<section( class="first")?>\n<h2>([^<]*)<\/h2>/g)];
  return {
    titles: sections.map((m) => m[2]),
    firstMarked: sections.length > 0 && sections[0][1] !== undefined && sections.slice(1).every((m) => m[1] === undefined),
  };
}

function assert404(r: Fetched, what: string): void {
  assert.equal(r.status, 404, `${what}: expected 404, got ${r.status}: ${r.body.toString().slice(0, 200)}`);
  assert.equal(r.body.toString(), NOT_FOUND_TEXT, `${what}: the handler's 404 (no listing, no nginx page)`);
  assert.equal(r.headers["strict-transport-security"], HSTS, `${what}: HSTS on the 404 too`);
}

interface Link {
  token: string;
  user: string;
  expires: number;
  bundle: string;
  /** profileFiles() of the user's set: what the offered files must be, byte for byte. */
  profiles: Record<string, string | Buffer>;
  /** The offered files, in the page's fixed order. */
  offered: string[];
}

describe("one-time profile links: nginx with the rendered files", { timeout: 300_000 }, () => {
  let topology: Topology;
  let pki: TestPki;
  let vpn: VpnServer;
  let share: ShareServer;
  let client: ShareClient;
  let region: string;
  /** With the Apple profile signed by the region's certificate (binary DER), and without. */
  let signed: Profiles;
  let plain: Profiles;
  /** Every token this suite used: none may reach a log. */
  const tokens = new Set<string>();

  before(async () => {
    topology = await createTopology();
    pki = await createPki(join(topology.dir, "pki"), HOSTNAME);
    const files = renderFixture({ topology, pki, users: USERS }).files;
    // The whole server: charon, sysctl and the rendered firewall (443 open), then nginx beside it.
    vpn = await startServer(topology, { files });
    share = await startShareServer(topology.server, join(topology.dir, "share"), files);
    client = await startShareClient(topology, join(topology.dir, "device"), HOSTNAME, pki.rootPem);
    const config = fixtureConfig({ users: USERS });
    region = config.regions[0].region;
    signed = renderProfiles({ stack: "e2e", config, passwords: config.passwords, certificates: { [region]: pki.certificate } });
    plain = renderProfiles({ stack: "e2e", config, passwords: config.passwords });
  });

  after(async () => {
    await share?.stop();
    await vpn?.stop();
    await topology?.teardown();
  });

  function newToken(prefix = ""): string {
    const random = tokenFromBytes(randomBytes(TOKEN_BYTES));
    const token = prefix + random.slice(prefix.length);
    tokens.add(token);
    return token;
  }

  async function addLink(user: string, opts: { set?: ProfileSet; expires?: number; token?: string } = {}): Promise<Link> {
    const set = opts.set ?? signed[user][region];
    const token = opts.token ?? newToken();
    tokens.add(token);
    const expires = opts.expires ?? Math.floor(Date.now() / 1000) + 3600;
    const bundle = linkBundle({ token, user, region, hostname: HOSTNAME, expires, set });
    const r = await share.vpnShare(["add"], bundle);
    assert.equal(r.code, 0, `vpn-share add: ${r.stderr}`);
    assert.equal(r.stdout.trim(), `added ${tokenPrefix(token)} ${user} ${region} ${expires}`);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), "add prints the prefix only");
    const offered = linkOffers(user, HOSTNAME, region, set).map((o) => o.file);
    return { token, user, expires, bundle, profiles: profileFiles(user, region, set), offered };
  }

  async function liveLinks() {
    const r = await share.vpnShare(["list"]);
    assert.equal(r.code, 0, r.stderr);
    for (const t of tokens) assert.ok(!r.stdout.includes(t), "list never shows a whole token");
    return parseLinkList(region, r.stdout);
  }

  it("TLS: the test CA's certificate for the hostname, TLS 1.2 and 1.3 accepted, 1.0 and 1.1 refused by the server; nginx listens on 443 only", async () => {
    for (const v of ["-tls1_2", "-tls1_3"]) {
      const r = await client.sClient([v, "-brief"]);
      assert.equal(r.code, 0, `${v}: ${r.stderr}`);
      assert.match(r.stderr, /Verification: OK/);
      assert.match(r.stderr, new RegExp(`Verified peername: ${HOSTNAME.replace(/\./g, "\\.")}`));
    }
    // The client offers the old versions (security level 0 allows them): the refusal is the server's alert.
    for (const v of ["-tls1", "-tls1_1"]) {
      const r = await client.sClient([v, "-cipher", "DEFAULT@SECLEVEL=0"]);
      assert.notEqual(r.code, 0, `${v} must fail`);
      assert.match(r.stderr, /alert protocol version/, `${v}: the server refuses the version: ${r.stderr}`);
    }
    const old = await client.curl("/", ["--tlsv1.0", "--tls-max", "1.1"]);
    assert.equal(old.code, 35, `curl --tls-max 1.1: ${old.stderr}`);
    assert.match(old.stderr, /alert protocol version/);
    const tls12 = await client.curl("/", ["--tlsv1.2", "--tls-max", "1.2"]);
    assert.equal(tls12.code, 0, tls12.stderr);
    assert.equal(tls12.stdout, "404");
    // Over IPv4 too (the other requests use the link's IPv6 addresses).
    const v4 = await client.fetch("/", { source: client.host.v4 });
    assert404(v4, "GET / over IPv4");
    // Control: the trust comes from the test CA alone (the system store does not know it).
    const system = await client.curlSystemTrust("/");
    assert.equal(system.code, 60, `without the test CA: ${system.stderr}`);
    // Debian's default site (port 80) is gone: the only sockets nginx has are 443, both families.
    const ss = await run(inNs(topology.server, ["ss", "-Htlnp"]));
    const nginxPorts = ss.stdout
      .split("\n")
      .filter((l) => l.includes('"nginx"'))
      .map((l) => l.split(/\s+/)[3]);
    assert.deepEqual([...new Set(nginxPorts)].sort(), ["0.0.0.0:443", "[::]:443"], ss.stdout);
  });

  for (const variant of ["signed", "plain"] as const) {
    it(`a link (${variant} Apple profile): the page per User-Agent, each file once with its type and exact bytes, then the link is gone`, async () => {
      const user = variant === "signed" ? "alice" : "bob";
      const link = await addLink(user, { set: (variant === "signed" ? signed : plain)[user][region] });
      const pages = bundleFiles(link.bundle);
      assert.equal(link.offered[0], variant === "signed" ? `${user}-signed.mobileconfig` : `${user}.mobileconfig`);
      const fixedOrder = linkOffers(user, HOSTNAME, region, signed[user][region]).map((o) => o.title);
      const base = `/${link.token}/`;

      // Pages: the device's platform first; a User-Agent naming none gets the fixed order.
      const expectFirst: Array<[keyof typeof UA, string, string]> = [
        ["iphone", "apple", "iPhone, iPad and Mac"],
        ["android", "android", "Android"],
        ["windows", "windows", "Windows 10 and 11"],
        ["linux", "linux", "Linux (NetworkManager)"],
        ["unknown", "any", fixedOrder[0]],
      ];
      for (const [ua, pageVariant, first] of expectFirst) {
        const r = await client.fetch(base, { ua: UA[ua] });
        assert.equal(r.status, 200, `${ua} page: ${r.body.toString().slice(0, 200)}`);
        assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
        assert.equal(r.headers["strict-transport-security"], HSTS);
        assert.ok(r.body.equals(pages[`page-${pageVariant}.html`]), `${ua}: page-${pageVariant}.html as added`);
        const { titles, firstMarked } = sectionTitles(r.body.toString());
        assert.equal(titles[0], first, `${ua}: ${titles.join(" | ")}`);
        assert.ok(firstMarked, `${ua}: only the first section is marked`);
        assert.deepEqual([...titles].sort(), [...fixedOrder].sort(), `${ua}: every platform on the page`);
        if (ua === "unknown") assert.deepEqual(titles, fixedOrder, "the fixed order");
        for (const f of link.offered) assert.ok(r.body.toString().includes(`href="${encodeURIComponent(f)}"`), `${ua}: the page links ${f}`);
      }

      // While live: the store and the link are nginx's worker's alone.
      const dir = `${SHARE_PATHS.store}/${link.token}`;
      const modes = await share.stat([SHARE_PATHS.store, dir, ...[...link.offered, "meta", "page-any.html"].map((f) => `${dir}/${f}`)]);
      assert.equal(modes[SHARE_PATHS.store], "700 www-data www-data");
      for (const [path, mode] of Object.entries(modes)) {
        if (path === SHARE_PATHS.store) continue;
        assert.equal(mode, path === dir ? "700 www-data www-data" : "600 www-data www-data", path);
      }

      for (const [i, file] of link.offered.entries()) {
        const r = await client.fetch(`${base}${encodeURIComponent(file)}`, { ua: UA.iphone });
        assert.equal(r.status, 200, `${file}: ${r.body.toString().slice(0, 200)}`);
        assert.equal(r.headers["content-type"], contentTypeFor(file), file);
        assert.equal(r.headers["content-disposition"], `attachment; filename="${file}"`);
        assert.equal(r.headers["strict-transport-security"], HSTS);
        const expected = link.profiles[file];
        assert.ok(expected !== undefined, `${file} among profileFiles()`);
        assert.ok(r.body.equals(Buffer.from(expected)), `${file}: the exact bytes of the profile (${r.body.length} vs ${Buffer.from(expected).length})`);
        // Once only.
        assert404(await client.fetch(`${base}${encodeURIComponent(file)}`), `second fetch of ${file}`);
        if (i < link.offered.length - 1) {
          const listed = (await liveLinks()).find((l) => l.prefix === tokenPrefix(link.token));
          assert.ok(listed, "still listed while files are left");
          assert.deepEqual(listed.fetched, link.offered.slice(0, i + 1));
          // The page stays while files are left.
          assert.equal((await client.fetch(base)).status, 200);
        }
      }
      // Every file fetched: the link's directory went with the last one.
      assert.ok(!(await share.list()).includes(link.token), "the link's directory is gone");
      assert.equal(
        (await liveLinks()).find((l) => l.prefix === tokenPrefix(link.token)),
        undefined,
      );
      assert404(await client.fetch(base), "the page of a fully fetched link");
    });
  }

  it("vpn-share list: the prefix, user, expiry and which files were fetched, never the token; a HEAD spends nothing", async () => {
    const link = await addLink("carol");
    const [apple, android] = link.offered;
    const listed = (await liveLinks()).find((l) => l.user === "carol");
    assert.ok(listed);
    assert.equal(listed.prefix, tokenPrefix(link.token));
    assert.ok(listed.prefix.length < link.token.length);
    assert.deepEqual(listed.files, link.offered);
    assert.deepEqual(listed.fetched, []);
    assert.equal(listed.expires, new Date(link.expires * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));

    const head = await client.fetch(`/${link.token}/${apple}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-type"], "application/x-apple-aspen-config");
    assert.deepEqual((await liveLinks()).find((l) => l.user === "carol")?.fetched, [], "a HEAD fetched nothing");
    const get = await client.fetch(`/${link.token}/${apple}`);
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(Buffer.from(link.profiles[apple])));
    assert.deepEqual((await liveLinks()).find((l) => l.user === "carol")?.fetched, [apple]);
    assert.equal((await client.fetch(`/${link.token}/${apple}`, { method: "HEAD" })).status, 404, "HEAD of a fetched file");
    assert.equal((await client.fetch(`/${link.token}/${android}`)).status, 200);
    assert.deepEqual((await liveLinks()).find((l) => l.user === "carol")?.fetched, [apple, android]);
    assert.equal((await share.vpnShare(["revoke", "carol"])).stdout.trim(), "revoked 1");
  });

  it("404 for everything but a live token's page and files: paths, methods, unknown tokens; nothing is spent by them", async () => {
    const link = await addLink("dave");
    const t = link.token;
    const file = link.offered[1];
    const probes: Array<[string, Parameters<ShareClient["fetch"]>[1]]> = [
      ["/", {}],
      ["/index.html", {}],
      [`/${t}`, {}],
      [`/${t}/../x`, {}],
      [`/${t}/meta`, {}],
      [`/${t}/page-any.html`, {}],
      [`/${t}/page-apple.html`, {}],
      [`/${t}/.sent-${file}`, {}],
      [`/${t}/${file}/`, {}],
      [`/${t}/nothing.sswan`, {}],
      ["/.new-x/", {}],
      [`/.new-${t}/`, {}],
      ["/%2e%2e/", {}],
      [`/${t}/%2e%2e/meta`, {}],
      ["/run/vpn-share/", {}],
      ["/vpn-share/", {}],
      [`/${newToken()}/`, {}],
      [`/${newToken()}/${file}`, {}],
      [`/${t.slice(0, 23)}/`, {}],
      [`/${t}x/`, {}],
      [`/${t}/`, { method: "POST" }],
      [`/${t}/${file}`, { method: "POST" }],
      [`/${t}/${file}`, { method: "PUT" }],
      [`/${t}/${file}`, { method: "DELETE" }],
    ];
    for (const [path, opts] of probes) assert404(await client.fetch(path, opts), `${opts?.method ?? "GET"} ${path}`);
    // Nothing of the link was spent or changed.
    const listed = (await liveLinks()).find((l) => l.user === "dave");
    assert.deepEqual(listed?.fetched, []);
    const r = await client.fetch(`/${t}/${file}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(Buffer.from(link.profiles[file])));
    assert.equal((await share.vpnShare(["revoke", tokenPrefix(t)])).stdout.trim(), "revoked 1");
  });

  it("revoked links answer 404: by token prefix, by user; a short user name is not read as a prefix", async () => {
    const d1 = await addLink("dave");
    const d2 = await addLink("dave");
    const c1 = await addLink("carol");
    // A token that happens to begin with the short user's name (1 in 4096 tokens does).
    const other = await addLink("carol", { token: newToken("cy") });
    const cy = await addLink("cy");
    const page = async (l: Link) => (await client.fetch(`/${l.token}/`)).status;
    for (const l of [d1, d2, c1, other, cy]) assert.equal(await page(l), 200);

    assert.equal((await share.vpnShare(["revoke", tokenPrefix(d1.token)])).stdout.trim(), "revoked 1");
    assert.equal(await page(d1), 404);
    assert404(await client.fetch(`/${d1.token}/${d1.offered[0]}`), "a file of a revoked link");
    assert.equal(await page(d2), 200, "dave's other link stays");

    assert.equal((await share.vpnShare(["revoke", "dave"])).stdout.trim(), "revoked 1");
    assert.equal(await page(d2), 404);
    assert.equal(await page(c1), 200, "carol's links stay");

    assert.equal((await share.vpnShare(["revoke", "cy"])).stdout.trim(), "revoked 1", "only cy's own link");
    assert.equal(await page(cy), 404);
    assert.equal(await page(other), 200, "a token starting with the user name is not that user's link");

    const short = await share.vpnShare(["revoke", "x&y"]);
    assert.notEqual(short.code, 0, "revoke refuses what is neither a prefix nor a user name");
    assert.equal((await share.vpnShare(["revoke", "carol"])).stdout.trim(), "revoked 2");
    for (const l of [c1, other]) assert.equal(await page(l), 404);
    assert.deepEqual(await liveLinks(), []);
  });

  it("expired links answer 404: one added already past its expiry, one that expires while the test waits", async () => {
    const now = Math.floor(Date.now() / 1000);
    const past = await addLink("bob", { expires: now - 60 });
    assert404(await client.fetch(`/${past.token}/`, { ua: UA.iphone }), "page of an expired link");
    for (const f of past.offered) assert404(await client.fetch(`/${past.token}/${f}`), `${f} of an expired link`);

    // Far enough ahead for the add and the first fetch on a slow machine.
    const soon = await addLink("bob", { expires: now + 5 });
    const first = await client.fetch(`/${soon.token}/`);
    assert.equal(first.status, 200, "live before its expiry");
    const ended = await waitFor(
      async () => {
        const r = await client.fetch(`/${soon.token}/`);
        return r.status === 404 ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "the link's page to answer 404 after its expiry" },
    );
    assert.equal(ended.body.toString(), NOT_FOUND_TEXT);
    assert.ok(Date.now() / 1000 >= soon.expires, "not before its expiry");
    assert404(await client.fetch(`/${soon.token}/${soon.offered[0]}`), "a file of an expired link");
    // Still in memory until the sweep (next test).
    const listed = (await liveLinks()).map((l) => l.prefix);
    assert.ok(listed.includes(tokenPrefix(past.token)) && listed.includes(tokenPrefix(soon.token)), listed.join(" "));
  });

  it("rate limit: a burst from one address gets 429 once its allowance is spent; other addresses are not held back", async () => {
    const link = await addLink("carol");
    const one = client.freshSource();
    const statuses = await client.burst(`/${link.token}/`, 16, one);
    assert.equal(statuses.length, 16);
    // 20 a minute with a burst of 10, answered at once: the first 11 pass.
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200), statuses.join(" "));
    assert.ok(
      statuses.slice(-4).every((s) => s === 429),
      statuses.join(" "),
    );
    const again = await client.fetch(`/${link.token}/`, { source: one });
    assert.equal(again.status, 429);
    assert.equal(again.headers["strict-transport-security"], HSTS);
    assert.equal((await client.fetch(`/${link.token}/`)).status, 200, "another address gets the page");
    assert.deepEqual((await liveLinks()).find((l) => l.prefix === tokenPrefix(link.token))?.fetched, []);
    assert.equal((await share.vpnShare(["revoke", tokenPrefix(link.token)])).stdout.trim(), "revoked 1");
  });

  it("the sweep (the timer's ExecStart): expired, fully fetched and half-written links leave memory; /run/vpn-share ends empty", async () => {
    const store = SHARE_PATHS.store;
    // Left by the previous test: two expired links.
    assert.equal((await liveLinks()).length, 2);
    // A link whose files are all gone (a fetch whose own cleanup lost a race).
    const emptied = await addLink("dave");
    await share.execOk(["sh", "-c", `cd ${store}/${emptied.token} && rm -- ${emptied.offered.join(" ")}`]);
    // An add that died half-way a while ago, and one in progress right now.
    const stale = `${store}/.new-${newToken()}`;
    const inProgress = `${store}/.new-${newToken()}`;
    for (const d of [stale, inProgress]) await share.execOk(["install", "-d", "-m", "700", "-o", "www-data", "-g", "www-data", d]);
    await share.execOk(["touch", "-d", "-2 minutes", stale]);
    // A live link that expires in a moment.
    const soon = await addLink("bob", { expires: Math.floor(Date.now() / 1000) + 6 });

    await share.sweepAsTimer();
    const left = await share.list();
    assert.deepEqual(left.sort(), [inProgress.slice(store.length + 1), soon.token].sort(), "only the live link and the add in progress stay");

    await waitFor(async () => (await client.fetch(`/${soon.token}/`)).status === 404, { timeoutMs: 15_000, intervalMs: 250, what: "the last link to expire" });
    // A minute later the add in progress is stale too.
    await share.execOk(["touch", "-d", "-2 minutes", inProgress]);
    await share.sweepAsTimer();
    assert.deepEqual(await share.list(), [], "ls -A /run/vpn-share");
    assert.equal((await share.stat([store]))[store], "700 www-data www-data", "the store itself stays");
    assert.deepEqual(await liveLinks(), []);
  });

  it("no token in any log: the site's access and error logs, Debian's nginx logs, nginx's own output", () => {
    const { files, stderr } = share.logs();
    const access = files["vpn-share.log"];
    // Not vacuous: the access log has this suite's requests (address, time, status, size).
    assert.ok(access.split("\n").length > 100, access.slice(0, 500));
    assert.match(access, / 200 \d+\n/);
    assert.match(access, / 404 \d+\n/);
    assert.match(access, / 429 \d+\n/);
    assert.ok(tokens.size > 10, `${tokens.size} tokens`);
    for (const [name, text] of [...Object.entries(files), ["stderr", stderr] as const]) {
      for (const t of tokens) {
        assert.ok(!text.includes(t), `${name} holds a token`);
        assert.ok(!text.includes(t.slice(0, 12)), `${name} holds a token's first half`);
      }
    }
  });

  it("with vpn:shareLinks false: no nginx or share file is rendered and the firewall keeps 443 closed", async () => {
    const on = renderFixture({ topology, pki, users: USERS }).files;
    const off = renderFixture({ topology, pki, users: USERS, extra: { "vpn:shareLinks": false } }).files;
    const sharePaths: string[] = Object.values(SHARE_PATHS);
    const isShare = (p: string) => p.startsWith("/etc/nginx/") || sharePaths.includes(p);
    assert.ok(on.filter((f) => isShare(f.path)).length >= 7, "on: the share files are rendered");
    assert.deepEqual(
      off.filter((f) => isShare(f.path)).map((f) => f.path),
      [],
    );
    assert.deepEqual(
      off.map((f) => f.path),
      on.map((f) => f.path).filter((p) => !isShare(p)),
      "everything else as with links on",
    );
    const nft = (files: typeof on) => files.find((f) => f.path === "/etc/nftables.conf")!.content;
    assert.match(nft(on), /tcp dport 443 accept/);
    assert.doesNotMatch(nft(off), /443/);
    // nft itself accepts the file without links (checked, not applied, in the server namespace).
    const file = join(topology.dir, "nftables-off.conf");
    writeFileSync(file, nft(off));
    const check = await run(inNs(topology.server, ["nft", "-c", "-f", file]));
    assert.equal(check.code, 0, check.stderr);
  });
});
