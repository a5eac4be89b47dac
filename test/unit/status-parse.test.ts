// `npm run status`: the remote script's text and the parser of its output (captured
// from a real charon with the rendered files: test/unit/status-samples/capture.ts).
// The report: status-report.test.ts; the command: status-cli.test.ts; the real SSH
// path: test/hosts/status.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { PATHS } from "../../model/server/files";
import { parseStatusOutput, StatusParseError } from "../../model/status/parse";
import { regionStatus } from "../../model/status/report";
import { renderStatusScript, STATUS_FORMAT } from "../../model/status/script";
import { decodePacket } from "../../model/status/vici";
import { opts, output, REGION, sample } from "./status-fixtures";

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
    const [alice, bob] = s.users;
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
