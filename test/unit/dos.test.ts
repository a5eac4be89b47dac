// IKE under attack: charon's DoS settings and the firewall's per-source
// limits for new IKE traffic, as rendered. The e2e tier floods the real thing
// (test/e2e/flood.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../config/validate";
import { renderRegion } from "../../model/render";
import { CHARON_DOS, IKE_RATE_LIMIT, UNUSED_PLUGINS } from "../../model/server/dos";
import { PATHS } from "../../model/server/files";
import { BASE, PASSWORDS } from "./fixtures";

const config = validateConfig(BASE);
const file = (path: string) => renderRegion({ config, region: config.regions[0], passwords: PASSWORDS }).files.find((f) => f.path === path)!.content;

/** The body of the top-level `charon { ... }` section (up to the matching brace). */
function charonSection(conf: string): string {
  const start = conf.indexOf("charon {");
  assert.ok(start >= 0, "a charon section");
  let depth = 0;
  for (let i = start; i < conf.length; i++) {
    if (conf[i] === "{") depth++;
    if (conf[i] === "}" && --depth === 0) return conf.slice(start, i + 1);
  }
  throw new Error("unbalanced charon section");
}

test("strongswan.conf: hashed IKE_SA table, early cookies, per-source and short half-open limits", () => {
  const charon = charonSection(file(PATHS.strongswanConf));
  const value = (key: string) => new RegExp(`^  ${key} = (\\S+)$`, "m").exec(charon)?.[1];
  assert.equal(value("ikesa_table_size"), "1024");
  assert.equal(value("ikesa_table_segments"), "4");
  assert.equal(value("cookie_threshold"), "10");
  assert.equal(value("block_threshold"), "10");
  assert.equal(value("half_open_timeout"), "5");
  const size = Number(value("ikesa_table_size"));
  assert.equal(size & (size - 1), 0, "the table size is a power of two (strongSwan rounds up otherwise)");
  // No global caps: they drop the legitimate clients' IKE_SA_INIT together with the flood.
  assert.equal(value("init_limit_half_open"), undefined);
  assert.equal(value("init_limit_job_load"), undefined);
  assert.equal(Number(value("block_threshold")), CHARON_DOS.blockThreshold);
});

test("strongswan.conf: unused plugins off, the ones the server needs untouched", () => {
  const charon = charonSection(file(PATHS.strongswanConf));
  for (const p of ["forecast", "connmark", "farp", "ha", "lookip", "unity", "eap-radius"]) {
    assert.match(charon, new RegExp(`\\n    ${p} \\{\\n      load = no\\n    \\}`), p);
  }
  const needed = [
    "openssl",
    "kdf",
    "eap-mschapv2",
    "eap-identity",
    "kernel-netlink",
    "kernel-libipsec",
    "socket-default",
    "vici",
    "updown",
    "attr",
    "x509",
    "pem",
    "pkcs1",
    "nonce",
    "random",
  ];
  for (const p of needed) {
    assert.ok(!(UNUSED_PLUGINS as readonly string[]).includes(p), `${p} stays loaded`);
    assert.doesNotMatch(charon, new RegExp(`\\n    ${p} \\{\\n      load = no`), `${p} stays loaded`);
  }
  assert.doesNotMatch(file(PATHS.strongswanConf), /load_modular/, "Debian's strongswan.conf sets load_modular; the fragment only switches plugins off");
});

const nft = () => file(PATHS.nftablesConf);

test("nftables: per-source limits for new IKE traffic, keyed by IPv4 /32 and IPv6 /64", () => {
  const n = nft();
  const { perSecond, burst } = IKE_RATE_LIMIT;
  assert.equal(perSecond, 50);
  assert.equal(burst, 200);
  assert.match(n, new RegExp(`update @ike_v4 \\{ ip saddr limit rate over ${perSecond}/second burst ${burst} packets \\} counter drop`));
  assert.match(
    n,
    new RegExp(`update @ike_v6 \\{ ip6 saddr and ffff:ffff:ffff:ffff:: limit rate over ${perSecond}/second burst ${burst} packets \\} counter drop`),
  );
  assert.match(n, /set ike_v4 \{\n\s+type ipv4_addr\n\s+size 65536\n\s+flags dynamic,timeout\n\s+timeout 1m\n/);
  assert.match(n, /set ike_v6 \{\n\s+type ipv6_addr\n/);
});

test("nftables: the limits come before conntrack's accept and the IKE accept, and spare ESP-in-UDP", () => {
  const input = /chain input \{([\s\S]*?)\n  \}/.exec(nft())![1];
  const lines = input
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const port500 = at(/^udp dport 500 jump ike_new$/);
  // Only IKE_SA_INIT on 4500: non-ESP marker 0 (RFC 3948) and exchange type 34 (RFC 7296).
  const init4500 = at(/^udp dport 4500 @th,64,32 0 @th,240,8 34 jump ike_new$/);
  assert.ok(port500 >= 0 && init4500 >= 0, lines.join("\n"));
  assert.ok(port500 < at(/^ct state established,related accept$/));
  assert.ok(init4500 < at(/^ct state established,related accept$/));
  assert.ok(init4500 < at(/^udp dport \{ 500, 4500 \} accept/));
  assert.equal(lines.filter((l) => /dport 4500/.test(l) && /jump ike_new/.test(l)).length, 1, "nothing else on 4500 is counted");
});

/** Runs `nft -c` (check only, nothing applied): as root, or as root of a new user+net namespace. */
function nftCheck(path: string): { ran: boolean; ok: boolean; output: string } {
  const tries = process.getuid?.() === 0 ? [["nft", "-c", "-f", path]] : [["unshare", "-rn", "nft", "-c", "-f", path]];
  for (const argv of tries) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    if (r.error) continue; // no nft / unshare here
    const output = `${r.stdout}${r.stderr}`;
    if (r.status !== 0 && /Operation not permitted|cache initialization failed|unshare failed/i.test(output)) continue;
    return { ran: true, ok: r.status === 0, output };
  }
  return { ran: false, ok: false, output: "" };
}

test("nftables: nft -c accepts the rendered ruleset", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpn-nft-"));
  try {
    const path = join(dir, "nftables.conf");
    writeFileSync(path, nft());
    const r = nftCheck(path);
    if (!r.ran) return t.skip("nft cannot run here (no nft, or no root / user namespaces); the e2e tier loads the ruleset for real");
    assert.ok(r.ok, r.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
