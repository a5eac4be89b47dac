// `npm run status`: the remote script's text, the parser of its output (captured
// from a real charon with the rendered files: test/unit/status-samples/capture.ts),
// the report next to the stack's view, the table, the stack-output checks and the
// SSH failure reasons. The real SSH path is in test/hosts/status.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { renewalWindowMs } from "../../components/acme/renewal";
import { PATHS } from "../../model/server/files";
import { parseStatusOutput, ServerFacts, StatusParseError } from "../../model/status/parse";
import { logTimestamp, regionStatus, StackRegion } from "../../model/status/report";
import { renderStatusScript, STATUS_FORMAT } from "../../model/status/script";
import { columns, formatBytes, formatDuration, renderStatusTable } from "../../model/status/table";
import { decodePacket } from "../../model/status/vici";
import { classifySshFailure, fingerprint, parseHostKey } from "../../scripts/status/ssh";
import { statusOf } from "../../scripts/status";
import { stackView } from "../../scripts/status/stack";

const sample = (name: string) => readFileSync(join(__dirname, "status-samples", `${name}.txt`), "utf8");
const REGION: StackRegion = { region: "us-ord", hostname: "vpn.e2e.example.test", host: "203.0.113.10" };
const opts = { renewalWindowMs };

/** vici encoding helpers (strongSwan vici README, "Message format"). */
const name8 = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const val16 = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
const kv = (k: string, v: string | Buffer) => Buffer.concat([Buffer.from([3]), name8(k), val16(v)]);
const sec = (k: string, ...body: Buffer[]) => Buffer.concat([Buffer.from([1]), name8(k), ...body, Buffer.from([2])]);
const lst = (k: string, ...items: string[]) =>
  Buffer.concat([Buffer.from([4]), name8(k), ...items.map((i) => Buffer.concat([Buffer.from([5]), val16(i)])), Buffer.from([6])]);
const event = (n: string, ...body: Buffer[]) => Buffer.concat([Buffer.from([7]), name8(n), ...body]);

/** A status output with the given vici list-sa events and facts replaced/added. */
function output(lines: Record<string, string | string[]>, base = sample("idle")): string {
  const drop = new Set(Object.keys(lines));
  const kept = base.split("\n").filter((l) => l && !drop.has(/^@@(\S+)/.exec(l)?.[1] ?? "") && l !== "@@end 1");
  const added = Object.entries(lines).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `@@${k} ${x}`));
  return [...kept, ...added, "@@end 1", ""].join("\n");
}

describe("vici packets", () => {
  test("decodes the README's encoding example", () => {
    const msg = Buffer.concat([kv("key1", "value1"), sec("section1", sec("sub-section", kv("key2", "value2")), lst("list1", "item1", "item2"))]);
    const p = decodePacket(Buffer.concat([Buffer.from([1]), msg]));
    assert.equal(p.type, 1);
    assert.deepEqual(p.message, { key1: "value1", section1: { "sub-section": { key2: "value2" }, list1: ["item1", "item2"] } });
  });

  test("a peer-chosen identity with spaces and braces stays one value (swanctl --raw would print it unescaped)", () => {
    const forged = "x} rw-2 {uniqueid=9 state=ESTABLISHED remote-eap-id=bob";
    const sa = sec("rw", kv("uniqueid", "7"), kv("state", "CONNECTING"), kv("remote-host", "192.0.2.66"), kv("remote-id", forged));
    const facts = parseStatusOutput(output({ vici: [`sas ${event("list-sa", sa).toString("hex")}`, "sas 01"] }));
    assert.equal(facts.sas.length, 1);
    assert.equal(facts.sas[0].remoteId, forged);
    const status = regionStatus(REGION, facts, opts);
    assert.deepEqual(status.users, [], "a connecting SA is nobody online, whatever it calls itself");
    assert.equal(status.connectingSas, 1);
  });

  test("truncated or malformed packets are refused", () => {
    assert.throws(() => decodePacket(Buffer.from([1, 3, 4, 0x6b])), /truncated/);
    assert.throws(() => decodePacket(Buffer.from([1, 2])), /section end without a section/);
    assert.throws(() => decodePacket(Buffer.concat([Buffer.from([1]), Buffer.from([1]), name8("s")])), /ends inside a section/);
    assert.throws(() => decodePacket(Buffer.from([1, 9])), /unknown vici element type 9/);
  });

  test("binary blobs are kept byte for byte when asked", () => {
    const der = Buffer.from([0x30, 0x82, 0xff, 0x00, 0xc3]);
    const p = decodePacket(Buffer.concat([Buffer.from([1]), kv("data", der)]), { base64Keys: ["data"] });
    assert.deepEqual(Buffer.from(p.message.data as string, "base64"), der);
  });
});

describe("the remote script", () => {
  const script = renderStatusScript();
  test("reads nothing secret and changes nothing", () => {
    for (const secret of [PATHS.serverKey, PATHS.swanctlConf, "/etc/swanctl/private", "/etc/ssh/ssh_host"])
      assert.ok(!script.includes(secret), `does not read ${secret}`);
    assert.ok(script.includes(PATHS.serverCert), "reads the public certificate file the server uses");
    assert.match(script, /apt-get -s -o Debug::NoLocking=1 /, "apt only simulates, without its lock");
    assert.doesNotMatch(
      script,
      /swanctl --(load|terminate|initiate)|systemctl (re)?start|apt-get (-y )?(install|upgrade)|\brm\b|\bmv\b|>\s*\/(etc|var)/,
      "no command that changes the server",
    );
    // The vici commands are queries only.
    assert.deepEqual(
      [...script.matchAll(/request\('\w+', '([a-z-]+)'/g)].map((m) => m[1]),
      ["version", "stats", "get-pools", "list-certs", "list-sas"],
    );
  });

  test("is one deterministic text", () => {
    assert.equal(renderStatusScript(), script);
    assert.match(script, new RegExp(`^say format ${STATUS_FORMAT}$`, "m"));
  });

  test("is valid sh, and its perl client compiles", () => {
    const sh = spawnSync("sh", ["-n", "-c", script]);
    assert.equal(sh.status, 0, sh.stderr.toString());
    const perl = /perl - <<'VICI_CLIENT'\n([\s\S]*?)\nVICI_CLIENT/.exec(script)?.[1];
    assert.ok(perl);
    const c = spawnSync("perl", ["-c", "-"], { input: perl });
    assert.equal(c.status, 0, c.stderr.toString());
  });
});

describe("parsing captured outputs (real charon, rendered files)", () => {
  test("nobody online: pools empty, certificate read from charon, versions", () => {
    const f = parseStatusOutput(sample("idle"));
    assert.equal(f.viciError, undefined);
    assert.equal(f.version?.version, "5.9.8");
    assert.deepEqual(f.sas, []);
    assert.deepEqual(
      f.pools.map((p) => [p.name, p.online]),
      [
        ["pool-v4-1-49", 0],
        ["pool-v4-51-254", 0],
        ["pool-v6", 0],
        ["static-v4-50", 0],
      ],
    );
    assert.equal(f.loadedCerts.filter((c) => c.hasPrivateKey).length, 1);
    assert.ok(f.certFilePem?.startsWith("-----BEGIN CERTIFICATE-----"));
    assert.equal(f.apt.state, "ok");
    const s = regionStatus(REGION, f, opts);
    assert.deepEqual(s.users, []);
    assert.equal(s.certificate?.servedFrom, "charon");
    assert.equal(s.certificate?.fileMatchesLoaded, true);
    assert.deepEqual(s.certificate?.served?.dnsNames, ["vpn.e2e.example.test"]);
  });

  test("two users: EAP identity as user name (also for an IP-address IKE identity), device address:port, virtual IPs, counters", () => {
    const s = regionStatus(REGION, parseStatusOutput(sample("two-users")), opts);
    assert.deepEqual(
      s.users?.map((u) => u.user),
      ["alice", "bob"],
    );
    const [alice, bob] = s.users!;
    assert.equal(alice.sessions[0].remoteAddress, "192.0.2.10");
    assert.equal(alice.sessions[0].remotePort, 4500);
    assert.equal(alice.sessions[0].virtualIpv4, "10.47.83.1");
    assert.match(alice.sessions[0].virtualIpv6 ?? "", /^2001:db8:/);
    assert.ok(alice.totals.bytesIn > 0 && alice.totals.packetsOut > 0, "alice sent traffic");
    assert.equal(bob.sessions[0].virtualIpv4, "10.47.83.50", "bob's fixed address");
    assert.equal(s.pools?.find((p) => p.name === "static-v4-50")?.online, 1);
    assert.ok((alice.sessions[0].connectedSeconds ?? -1) >= 0);
    assert.equal(alice.sessions[0].children[0].state, "INSTALLED");
  });

  test("a disconnected user disappears; the lease goes offline", () => {
    const s = regionStatus(REGION, parseStatusOutput(sample("bob-gone")), opts);
    assert.deepEqual(
      s.users?.map((u) => u.user),
      ["alice"],
    );
    assert.deepEqual(
      s.pools?.find((p) => p.name === "static-v4-50"),
      { name: "static-v4-50", base: "10.47.83.50", size: 1, online: 0, offline: 1 },
    );
  });

  test("no secret in the report", () => {
    for (const name of ["idle", "two-users", "bob-gone"]) {
      const json = JSON.stringify(regionStatus(REGION, parseStatusOutput(sample(name)), opts));
      assert.doesNotMatch(json, /PRIVATE KEY|Passw0rd|secret/i);
    }
  });

  test("cut-short, foreign or garbled output is an error, not 'nobody online'", () => {
    const full = sample("two-users");
    assert.throws(() => parseStatusOutput(full.replace("@@end 1\n", "")), /ends early/);
    assert.throws(() => parseStatusOutput(""), /no status output/);
    assert.throws(() => parseStatusOutput(full.replace("@@format 1", "@@format 2")), /format 2/);
    assert.throws(() => parseStatusOutput(`${full}Last login: yesterday\n`), StatusParseError);
    assert.equal(parseStatusOutput(`Welcome from .bashrc\n${full}`).sas.length, 2, "a chatty rc file before the script's output is skipped");
    // charon's part stopped half-way: users unknown, not empty.
    const half = full
      .split("\n")
      .filter((l) => !l.startsWith("@@vici-done"))
      .join("\n");
    const s = regionStatus(REGION, parseStatusOutput(half), opts);
    assert.equal(s.users, null);
    assert.equal(s.strongswan?.charonRunning, false);
  });

  test("charon down: reported, users unknown, the rest still there", () => {
    const f = parseStatusOutput(
      output({ vici: [], "vici-done": [], "vici-error": "cannot connect to /var/run/charon.vici: No such file or directory", service: "failed" }),
    );
    const s = regionStatus(REGION, f, opts);
    assert.equal(s.strongswan?.charonRunning, false);
    assert.equal(s.strongswan?.service, "failed");
    assert.equal(s.users, null);
    assert.equal(s.certificate?.servedFrom, "file", "the file still tells which certificate would be served");
    assert.match(s.warnings.join("\n"), /charon does not answer/);
  });
});

describe("certificate next to the stack's", () => {
  const facts = parseStatusOutput(sample("idle"));
  const served = regionStatus(REGION, facts, opts).certificate!.served!;

  test("same notAfter: no warning; different: warned", () => {
    const same = regionStatus({ ...REGION, certificateNotAfter: served.notAfter }, facts, opts);
    assert.equal(same.certificate?.matchesStack, true);
    assert.deepEqual(
      same.warnings.filter((w) => /certificate/.test(w)),
      [],
    );
    const other = regionStatus({ ...REGION, certificateNotAfter: "2027-03-01T00:00:00Z" }, facts, opts);
    assert.equal(other.certificate?.matchesStack, false);
    assert.match(other.warnings.join("\n"), /stack holds one valid until 2027-03-01T00:00:00.000Z: run `pulumi up`/);
  });

  test("inside the renewal window and expired: warned, days left counted on the server's clock", () => {
    const notAfter = Date.parse(served.notAfter) / 1000;
    const late = regionStatus(REGION, { ...facts, now: notAfter - 2 * 86400 } as ServerFacts, opts);
    assert.equal(late.certificate?.inRenewalWindow, true);
    assert.equal(late.certificate?.served?.daysLeft, 2);
    assert.match(late.warnings.join("\n"), /expires in 2 days .* inside the renewal window/);
    const dead = regionStatus(REGION, { ...facts, now: notAfter + 60 } as ServerFacts, opts);
    assert.match(dead.warnings.join("\n"), /EXPIRED/);
    const early = regionStatus(REGION, { ...facts, now: Date.parse(served.notBefore) / 1000 + 60 } as ServerFacts, opts);
    assert.equal(early.certificate?.inRenewalWindow, false);
  });

  test("a certificate for another name, or a file charon has not loaded, is warned", () => {
    const s = regionStatus({ ...REGION, hostname: "vpn.other.example" }, facts, opts);
    assert.match(s.warnings.join("\n"), /does not name vpn.other.example/);
    // The file was replaced (a new certificate pushed) but charon still holds the old one.
    const pushed = readFileSync(join(__dirname, "status-samples", "other-cert.pem"), "utf8");
    const stale = regionStatus(REGION, { ...facts, certFilePem: pushed } as ServerFacts, opts);
    assert.equal(stale.certificate?.servedFrom, "charon", "what charon presents counts, not the file");
    assert.equal(stale.certificate?.served?.sha256, served.sha256);
    assert.equal(stale.certificate?.fileMatchesLoaded, false);
    assert.match(stale.warnings.join("\n"), /differs from the one charon loaded/);
  });
});

describe("updates, reboot, unattended-upgrades", () => {
  test("absent: unknown, never guessed", () => {
    const f = parseStatusOutput(output({ apt: "absent", inst: [], "uu-installed": "", "reboot-required": "no" }));
    const u = regionStatus(REGION, f, opts).updates!;
    assert.equal(u.pending, null);
    assert.equal(u.security, null);
    assert.equal(u.unattendedUpgrades.lastRun, null);
    assert.equal(u.unattendedUpgrades.installed, false);
  });

  test("pending security updates, reboot required, the last run in UTC", () => {
    const f = parseStatusOutput(
      output({
        inst: ["libssl3 security", "tzdata other"],
        "reboot-required": "yes",
        "reboot-pkgs": "libc6 linux-image-6.1.0-28-amd64 ",
        "uu-installed": "install ok installed",
        tz: "+0100",
        "uu-start": "2026-12-01 07:25:01,123 INFO Starting unattended upgrades script",
        "uu-last": "2026-12-01 07:26:40,001 INFO All upgrades installed",
      }),
    );
    const s = regionStatus(REGION, f, opts);
    const u = s.updates!;
    assert.deepEqual([u.pending, u.security, u.securityPackages], [2, 1, ["libssl3"]]);
    assert.equal(u.rebootRequired, true);
    assert.deepEqual(u.rebootReasons, ["libc6", "linux-image-6.1.0-28-amd64"]);
    assert.equal(u.unattendedUpgrades.lastRun, "2026-12-01T06:25:01.000Z");
    assert.equal(u.unattendedUpgrades.lastRunResult, "All upgrades installed");
    assert.match(s.warnings.join("\n"), /1 security update\(s\) pending: libssl3/);
  });

  test("a newer installed kernel than the running one means reboot; a provider kernel says nothing", () => {
    const newer = parseStatusOutput(output({ "kernel-running": "6.1.0-27-amd64", "kernels-installed": "6.1.0-27-amd64 6.1.0-28-amd64 " }));
    assert.deepEqual(regionStatus(REGION, newer, opts).updates?.rebootReasons, ["kernel 6.1.0-28-amd64 (running 6.1.0-27-amd64)"]);
    const provider = parseStatusOutput(output({ "kernel-running": "6.8.9-x86_64-linode", "kernels-installed": "6.1.0-28-amd64 " }));
    assert.equal(regionStatus(REGION, provider, opts).updates?.rebootRequired, false);
  });

  test("log timestamps convert with the server's UTC offset", () => {
    assert.equal(logTimestamp("2026-12-01 00:10:00,5 INFO x", "-0500"), "2026-12-01T05:10:00.000Z");
    assert.equal(logTimestamp("garbage", "+0000"), null);
  });
});

describe("the table", () => {
  test("one row per session, totals for users with several, warnings marked", () => {
    const two = parseStatusOutput(sample("two-users"));
    const alice = two.sas.find((s) => s.user === "alice")!;
    const f = { ...two, sas: [...two.sas, { ...alice, uniqueId: "9", remoteHost: "2001:db8::99", remotePort: 4501 }] } as ServerFacts;
    const doc = { schema: 1, stack: "dev", regions: [regionStatus({ ...REGION, certificateNotAfter: "2027-03-01T00:00:00Z" }, f, opts)] };
    const text = renderStatusTable(doc);
    assert.match(text, /^us-ord {2}vpn\.e2e\.example\.test {2}203\.0\.113\.10 {2}reachable, up /m);
    assert.match(text, /^ {4}alice +192\.0\.2\.10:4500 +10\.47\.83\.1 /m);
    assert.match(text, /\[2001:db8::99\]:4501/);
    assert.match(text, /^ {4}alice \(total\) +2 sessions/m);
    assert.match(text, /^ {2}! the server serves a certificate/m);
    const down = renderStatusTable({
      schema: 1,
      stack: "dev",
      regions: [{ ...doc.regions[0], reachable: false, error: "cannot reach 203.0.113.10 over SSH: Connection timed out" }],
    });
    assert.match(down, /NOT REACHABLE\n {2}cannot reach/);
  });

  test("units", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(50 * 1024 * 1024), "50 MiB");
    assert.equal(formatDuration(59), "59s");
    assert.equal(formatDuration(3 * 86400 + 4 * 3600 + 5), "3d 4h");
    assert.equal(formatDuration(null), "?");
    assert.deepEqual(
      columns([
        ["a", "bb", "c"],
        ["ccc", "d", "e"],
      ]),
      ["a    bb  c", "ccc  d   e"],
    );
  });
});

describe("stack outputs and SSH", () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJUm3KACy7OiGIcy4425jzHuLgh5nNLKJYnQdh7WU82Y t";
  const server = {
    hostname: "vpn.example.com",
    host: "192.0.2.1",
    user: "root",
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
    hostKey: key,
  };

  test("servers: validated, errors name the field", () => {
    const v = stackView(
      { servers: { "us-ord": server }, regions: { "us-ord": { hostname: "vpn.example.com", certificateNotAfter: "2027-01-01T00:00:00Z" } } },
      "stack dev",
    );
    assert.deepEqual(v.regions, { "us-ord": { hostname: "vpn.example.com", certificateNotAfter: "2027-01-01T00:00:00Z" } });
    assert.throws(() => stackView({}, "stack dev"), /stack dev has no `servers` output/);
    assert.throws(() => stackView({ servers: { "us-ord": { ...server, hostKey: 42 } } }, "stack dev"), /servers\.us-ord\.hostKey is missing/);
    // A second known_hosts line (e.g. a wildcard entry) must not get in through the output.
    assert.throws(
      () => stackView({ servers: { "us-ord": { ...server, hostKey: `${key}\n* ssh-ed25519 AAAA` } } }, "stack dev"),
      /servers\.us-ord\.hostKey is not an OpenSSH public key line/,
    );
    assert.throws(() => stackView({ servers: { "us-ord": { ...server, host: "-oProxyCommand=x" } } }, "stack dev"), /servers\.us-ord\.host must be/);
    assert.throws(
      () => stackView({ servers: { "us-ord": { ...server, privateKey: "hunter2" } } }, "stack dev"),
      (err: Error) => /servers\.us-ord\.privateKey must be a PEM/.test(err.message) && !err.message.includes("hunter2"),
    );
  });

  test("a region without a pinned host key is reported, never connected to unpinned", async () => {
    const v = stackView({ servers: { "us-ord": server, "br-gru": { ...server, host: "192.0.2.2", hostKey: "" } } }, "stack dev");
    assert.deepEqual(Object.keys(v.servers), ["us-ord"]);
    // Only br-gru: nothing to connect to, so this runs no ssh at all.
    const doc = await statusOf(v, { region: "br-gru" });
    assert.equal(doc.regions[0].reachable, false);
    assert.match(doc.regions[0].error ?? "", /no host key for br-gru .* refusing to connect unpinned/);
  });

  test("host key fingerprint as ssh-keygen -l prints it", () => {
    assert.equal(fingerprint(parseHostKey(key, "k").blob), "SHA256:Ul+xRGcHbBB/8IgcoSbwOb/Id4abAKVdmtabaIJLGRE");
  });

  test("ssh failures become one clear reason; a changed host key is a refusal", () => {
    const changed =
      "@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@@@@@\nIT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\nHost key for vpn-status-pinned has changed and you have requested strict checking.\nHost key verification failed.\n";
    const r = classifySshFailure(changed, 255, server, "SHA256:abc");
    assert.equal(r.hostKeyRefused, true);
    assert.match(r.reason, /^host key mismatch: 192\.0\.2\.1 did not present the pinned host key SHA256:abc; refused/);
    assert.match(
      classifySshFailure("ssh: connect to host 192.0.2.1 port 22: Connection timed out\n", 255, server, "x").reason,
      /^cannot reach 192\.0\.2\.1 over SSH: ssh: connect to host .* Connection timed out$/,
    );
    assert.match(
      classifySshFailure("root@192.0.2.1: Permission denied (publickey).\n", 255, server, "x").reason,
      /SSH login as root with the stack's key refused/,
    );
  });
});

describe("docs/operations.md documents the JSON document", () => {
  /** Every key path of a JSON value (array elements merged), e.g. "regions[].users[].user". */
  function keyPaths(v: unknown, at = ""): Set<string> {
    const out = new Set<string>();
    if (Array.isArray(v)) for (const x of v) for (const p of keyPaths(x, `${at}[]`)) out.add(p);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        out.add(`${at}.${k}`);
        for (const p of keyPaths(x, `${at}.${k}`)) out.add(p);
      }
    }
    return out;
  }

  test("the example has exactly the fields a real document has", () => {
    const ops = readFileSync(join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const section = ops.slice(ops.indexOf("## Who is online: `npm run status`"));
    const block = /```jsonc\n([\s\S]*?)\n```/.exec(section)?.[1];
    assert.ok(block, "docs/operations.md has the JSON example");
    const example = JSON.parse(block.replace(/\/\/[^\n]*/g, ""));
    const facts = parseStatusOutput(sample("two-users"));
    const doc = { schema: 1, stack: "dev", regions: [regionStatus({ ...REGION, certificateNotAfter: "2027-01-01T00:00:00Z" }, facts, opts)] };
    // A real document with every optional part present (lists non-empty).
    doc.regions[0].updates!.securityPackages = ["libssl3"];
    doc.regions[0].updates!.rebootReasons = ["libc6"];
    assert.deepEqual([...keyPaths(example)].sort(), [...keyPaths(doc)].sort());
  });
});

describe("the command line", () => {
  const repo = join(__dirname, "..", "..");
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/status.ts", ...args], {
      cwd: repo,
      encoding: "utf8",
      timeout: 60_000,
    });

  test("--help: usage, exit 0; user errors: one line, exit 2", () => {
    const help = cli(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: npm run status -- --stack <name> \[--region <id>\] \[--usage\] \[--json\]$/m);
    // The prefix, one line and exit 2 are scripts/lib/cli.ts's, shared with render and profiles.
    for (const [args, message] of [
      [[], /^status: usage: npm run status -- --stack <name>/],
      [["--region", "us-ord"], /^status: --stack is required/],
      [["--stack"], /^status: --stack needs a value/],
      [["--stack", "dev", "--bogus"], /^status: unknown option --bogus/],
      [["--stack", "dev", "--connect-timeout", "0"], /^status: --connect-timeout must be a whole number/],
      [["--json=yes", "--stack", "dev"], /^status: --json takes no value/],
      [["--outputs-json", "/nonexistent/outputs.json"], /^status: cannot read \/nonexistent\/outputs.json: ENOENT$/m],
    ] as const) {
      const r = cli([...args]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
      assert.match(r.stderr, message);
    }
  });

  test("a region it must not connect to: reported, exit 1; --json is the document", () => {
    const file = join(mkdtempSync(join(tmpdir(), "status-cli-")), "outputs.json");
    writeFileSync(
      file,
      JSON.stringify({
        servers: {
          "br-gru": { host: "192.0.2.2", user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", hostKey: "" },
        },
        regions: { "br-gru": { hostname: "vpn.example.com" } },
      }),
    );
    const table = cli(["--outputs-json", file]);
    assert.equal(table.status, 1);
    assert.match(table.stdout, /^br-gru {2}vpn\.example\.com {2}192\.0\.2\.2 {2}NOT REACHABLE\n {2}the stack holds no host key/m);
    const json = cli(["--outputs-json", file, "--json"]);
    assert.equal(json.status, 1);
    const doc = JSON.parse(json.stdout);
    assert.deepEqual([doc.schema, doc.regions[0].region, doc.regions[0].reachable], [1, "br-gru", false]);
    assert.doesNotMatch(json.stdout + table.stdout, /PRIVATE KEY/);
    rmSync(dirname(file), { recursive: true, force: true });
  });
});
