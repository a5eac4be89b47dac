// One-time share links without a server: the token, the QR code (decoded back with
// jsQR, a decoder independent of the encoder), the page's escaping and order, the
// bundle for `vpn-share add`, and `npm run share` itself with a fake `ssh` on PATH
// that records its argv and stdin: the token travels only on stdin, never on the
// command line, and nothing but the link output shows it.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { profileFiles, ProfileSet } from "../../model/profiles";
import { SHARE_CONTENT_TYPES, TOKEN_BYTES, TOKEN_PREFIX_LENGTH } from "../../model/server/share";
import { isToken, linkBundle, linkOffers, linkUrl, parseLinkList, parseTtl, renderLinkPage, tokenFromBytes, tokenPrefix } from "../../model/share/link";
import { qrPng } from "../../scripts/lib/qr";

const ROOT = resolve(__dirname, "../..");
const SET: ProfileSet = {
  apple: "<plist>apple</plist>",
  appleSigned: Buffer.from([0x30, 0x82, 0x01, 0xff, 0x00, 0x10]).toString("base64"),
  windows: "# ps1 with Secret'Pass\n",
  android: '{"local":{"shared_secret":"Secret\\"Pass"}}',
  linuxNm: "[connection]\n",
  linuxSwanctl: "connections {}\n",
};

function decodeQr(png: Buffer): string | undefined {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height)?.data;
}

describe("tokens", () => {
  test("carry at least 128 random bits, in 24 URL-safe characters", () => {
    assert.ok(TOKEN_BYTES * 8 >= 128);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = tokenFromBytes(randomBytes(TOKEN_BYTES));
      assert.match(t, /^[A-Za-z0-9_-]{24}$/);
      assert.ok(isToken(t));
      seen.add(t);
    }
    assert.equal(seen.size, 2000);
    // Every byte reaches the token: flipping one bit changes it.
    const b = randomBytes(TOKEN_BYTES);
    const c = Buffer.from(b);
    c[TOKEN_BYTES - 1] ^= 1;
    assert.notEqual(tokenFromBytes(b), tokenFromBytes(c));
  });

  test("too few bytes are refused; the prefix shown elsewhere is short", () => {
    assert.throws(() => tokenFromBytes(randomBytes(16)), /18 random bytes/);
    const t = tokenFromBytes(randomBytes(TOKEN_BYTES));
    assert.equal(tokenPrefix(t).length, TOKEN_PREFIX_LENGTH);
    assert.ok(TOKEN_PREFIX_LENGTH * 6 <= 48, "a prefix leaves at least 96 bits unknown");
  });
});

describe("--ttl", () => {
  test("default 24h is in range; units; bounds 1m..7d; one line naming --ttl", () => {
    assert.equal(parseTtl("90s"), 90);
    assert.equal(parseTtl("30m"), 1800);
    assert.equal(parseTtl("1h"), 3600);
    assert.equal(parseTtl("7d"), 7 * 86400);
    for (const bad of ["8d", "169h", "59s", "0h", "1", "h", "1w", "-1h", "1.5h", " 1h"]) {
      const r = parseTtl(bad);
      assert.ok(typeof r === "object" && /^--ttl /.test(r.error) && !r.error.includes("\n"), `${bad}: ${JSON.stringify(r)}`);
    }
  });
});

describe("QR code", () => {
  test("the PNG decodes back to the link", async () => {
    const url = linkUrl("vpn.example.com", tokenFromBytes(randomBytes(TOKEN_BYTES)));
    assert.equal(decodeQr(await qrPng(url)), url);
  });
});

describe("the page", () => {
  const page = { user: "alice", hostname: "vpn.example.com", region: "us-ord", expires: new Date("2026-12-08T20:00:00Z") };
  test("offers the device's platform first, the others below, each file once", () => {
    const offers = linkOffers("alice", "vpn.example.com", "us-ord", SET);
    const order = (html: string) => [...html.matchAll(/<h2>([^<]+)<\/h2>/g)].map((m) => m[1]);
    assert.deepEqual(order(renderLinkPage("android", page, offers))[0], "Android");
    assert.deepEqual(order(renderLinkPage("windows", page, offers))[0], "Windows 10 and 11");
    assert.deepEqual(order(renderLinkPage("apple", page, offers))[0], "iPhone, iPad and Mac");
    assert.deepEqual(order(renderLinkPage("linux", page, offers)).slice(0, 2), ["Linux (NetworkManager)", "Linux (swanctl, servers)"]);
    assert.deepEqual(order(renderLinkPage("any", page, offers)), [
      "iPhone, iPad and Mac",
      "Android",
      "Windows 10 and 11",
      "Linux (NetworkManager)",
      "Linux (swanctl, servers)",
    ]);
    const html = renderLinkPage("any", page, offers);
    assert.match(html, /href="alice-signed\.mobileconfig"/, "Apple gets the signed profile");
    assert.doesNotMatch(html, /<script|https?:\/\/(?!vpn\.example\.com)/i, "no script, nothing from elsewhere");
    assert.match(html, /2026-12-08 20:00 UTC/);
  });

  test("escapes hostile names in text and attributes", () => {
    const evil = `<script>alert(1)</script>"'&`;
    const html = renderLinkPage("any", { ...page, user: evil, hostname: `x"><img src=x>` }, linkOffers(evil, `x"><img src=x>`, "us-ord", SET));
    assert.doesNotMatch(html, /<script>|<img|"><|' onerror/);
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;"));
    // The link target is percent-encoded, then attribute-escaped.
    assert.match(html, /href="%3Cscript%3Ealert\(1\)%3C%2Fscript%3E%22'%26\.sswan"|href="%3Cscript%3Ealert\(1\)%3C%2Fscript%3E%22&#39;%26\.sswan"/);
  });
});

describe("the bundle for vpn-share add", () => {
  test("the token line, then the offered profiles byte for byte and one page per variant", () => {
    const token = tokenFromBytes(randomBytes(TOKEN_BYTES));
    const lines = linkBundle({ token, user: "alice", region: "us-ord", hostname: "vpn.example.com", expires: 1796675794, set: SET }).trimEnd().split("\n");
    assert.equal(lines[0], `${token} 1796675794 alice us-ord`);
    const files = Object.fromEntries(
      lines
        .slice(1)
        .map((l) => l.split(" "))
        .map(([n, b]) => [n, Buffer.from(b, "base64")]),
    );
    const written = profileFiles("alice", "us-ord", SET);
    for (const name of ["alice-signed.mobileconfig", "alice.sswan", "alice.ps1", "alice.nmconnection", "alice.swanctl.conf"]) {
      assert.ok(Buffer.from(written[name]).equals(files[name]), `${name} is what npm run profiles writes`);
      assert.ok(SHARE_CONTENT_TYPES[name.slice(name.lastIndexOf(".") + 1)], `${name} has a content type`);
    }
    assert.deepEqual(
      Object.keys(files).filter((n) => n.startsWith("page-")),
      ["page-apple.html", "page-android.html", "page-windows.html", "page-linux.html", "page-any.html"],
    );
    assert.equal(Object.keys(files).length, 10);
    for (const [n, b] of Object.entries(files)) if (n.startsWith("page-")) assert.ok(!b.toString().includes(token), `${n} does not hold the token`);
  });

  test("vpn-share list parses to prefixes and what was fetched", () => {
    const links = parseLinkList(
      "us-ord",
      "abcdEFGH alice us-ord 1796675794 1796589394 a.sswan,a.ps1 a.ps1\nbroken line\nzzzzzzzz bob us-ord 1796000000 1795990000 b.sswan -\n",
    );
    assert.deepEqual(
      links.map((l) => [l.prefix, l.user, l.fetched]),
      [
        ["zzzzzzzz", "bob", ["b.sswan"]],
        ["abcdEFGH", "alice", ["a.sswan"]],
      ],
    );
    assert.equal(links[1].expires, "2026-12-07T20:36:34Z");
  });
});

describe("npm run share with a fake ssh", () => {
  const dir = mkdtempSync(join(tmpdir(), "share-unit-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "bin");
  const outputs = join(dir, "outputs.json");
  spawnSync("mkdir", ["-p", bin]);
  // Records argv and stdin; answers like vpn-share (FAKE_RC, FAKE_OUT).
  writeFileSync(join(bin, "ssh"), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${dir}/argv"\ncat > "${dir}/stdin"\nprintf '%s' "$FAKE_OUT"\nexit "\${FAKE_RC:-0}"\n`);
  chmodSync(join(bin, "ssh"), 0o755);
  writeFileSync(
    outputs,
    JSON.stringify({
      servers: {
        "us-ord": {
          host: "203.0.113.10",
          user: "root",
          hostname: "vpn.example.com",
          privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzv2/hOwkwVbM3DAEq6uoDChdp2m0zNGLO3nEx2D1nX",
        },
      },
      regions: { "us-ord": { hostname: "vpn.example.com" } },
      profiles: { alice: { "us-ord": SET } },
    }),
  );
  const run = (args: string[], env: Record<string, string> = {}) => {
    rmSync(join(dir, "argv"), { force: true });
    return spawnSync(
      process.execPath,
      ["--require", require.resolve("ts-node/register/transpile-only"), join(ROOT, "scripts/share.ts"), "--stack", "dev", "--outputs-json", outputs, ...args],
      {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, TS_NODE_PROJECT: join(ROOT, "tsconfig.json"), ...env },
      },
    );
  };

  test("a link: printed with its QR code, the PNG 0600 decodes to it, the token only on ssh's stdin", () => {
    const png = join(dir, "q.png");
    const r = run(["--user", "alice", "--ttl", "2h", "--png", png], { FAKE_OUT: "added xxxxxxxx alice us-ord 1\n" });
    assert.equal(r.status, 0, r.stderr);
    const url = /https:\/\/vpn\.example\.com\/([A-Za-z0-9_-]{24})\//.exec(r.stdout);
    assert.ok(url, r.stdout);
    const token = url[1];
    assert.equal(decodeQr(readFileSync(png)), url[0]);
    assert.equal(statSync(png).mode & 0o777, 0o600);
    assert.match(r.stdout, /[▀▄█]/, "a QR code drawn in the terminal");
    assert.match(r.stdout, new RegExp(`--revoke ${token.slice(0, TOKEN_PREFIX_LENGTH)}\\b`));
    const argv = readFileSync(join(dir, "argv"), "utf8");
    assert.ok(!argv.includes(token), "the token is not on ssh's command line");
    assert.match(argv, /StrictHostKeyChecking=yes/);
    assert.match(argv, /vpn-share add/);
    const stdin = readFileSync(join(dir, "stdin"), "utf8");
    const [first] = stdin.split("\n");
    const [tok, expires, user, region] = first.split(" ");
    assert.deepEqual([tok, user, region], [token, "alice", "us-ord"]);
    assert.ok(Math.abs(Number(expires) - (Date.now() / 1000 + 7200)) < 60, "expires in 2h");
    assert.equal(r.stderr, "");
  });

  test("--list shows prefixes and fetched files; --json too; never more of the token than the server gave", () => {
    const out = "abcdEFGH alice us-ord 1796675794 1796589394 alice.sswan,alice.ps1 alice.ps1\n";
    const t = run(["--list"], { FAKE_OUT: out });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /us-ord +abcdEFGH… +alice +2026-12-07 20:36 +1\/2 \(alice\.sswan\)/);
    const j = run(["--list", "--json"], { FAKE_OUT: out });
    assert.deepEqual(JSON.parse(j.stdout).links[0].fetched, ["alice.sswan"]);
  });

  test("--revoke passes a checked argument and counts; refuses anything else", () => {
    const r = run(["--revoke", "abcd"], { FAKE_OUT: "revoked 2\n" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /revoked 2 link\(s\) matching abcd/);
    assert.match(readFileSync(join(dir, "argv"), "utf8"), /vpn-share revoke 'abcd'$/m);
    for (const bad of ["a'b;rm -rf /", "$(id)", "x y", "a/b"]) {
      const b = run(["--revoke", bad]);
      assert.equal(b.status, 2, `${bad}: ${b.stderr}`);
      assert.match(b.stderr, /^share: --revoke takes/);
    }
  });

  test("a server without share links, an unknown user or region, a bad --ttl: one line each", () => {
    const off = run(["--user", "alice", "--png", join(dir, "o.png")], { FAKE_RC: "3" });
    assert.equal(off.status, 1);
    assert.equal(off.stderr, "share: us-ord: share links are off on this server (vpn:shareLinks: false); set it to true and run pulumi up\n");
    const nouser = run(["--user", "mallory"]);
    assert.equal(nouser.status, 2);
    assert.match(nouser.stderr, /^share: no user mallory in stack dev \(users: alice\)\n$/);
    const noregion = run(["--user", "alice", "--region", "eu-west"]);
    assert.equal(noregion.status, 2);
    assert.match(noregion.stderr, /no region eu-west/);
    const ttl = run(["--user", "alice", "--ttl", "30d"]);
    assert.equal(ttl.status, 2);
    assert.match(ttl.stderr, /^share: --ttl must be at most 7d, got 30d\n$/);
    const two = run(["--user", "alice", "--list"]);
    assert.equal(two.status, 2);
  });
});
