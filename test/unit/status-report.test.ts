// `npm run status`: the report next to the stack's view (certificate, updates,
// reboot), the table, and docs/operations.md's example document against a real one.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseStatusOutput } from "../../model/status/parse";
import { logTimestamp, regionStatus } from "../../model/status/report";
import { columns, formatBytes, formatDuration, renderStatusTable } from "../../model/status/table";
import { opts, output, REGION, sample } from "./status-fixtures";

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
    const late = regionStatus(REGION, { ...facts, now: notAfter - 2 * 86400 }, opts);
    assert.equal(late.certificate?.inRenewalWindow, true);
    assert.equal(late.certificate?.served?.daysLeft, 2);
    assert.match(late.warnings.join("\n"), /expires in 2 days .* inside the renewal window/);
    const dead = regionStatus(REGION, { ...facts, now: notAfter + 60 }, opts);
    assert.match(dead.warnings.join("\n"), /EXPIRED/);
    const early = regionStatus(REGION, { ...facts, now: Date.parse(served.notBefore) / 1000 + 60 }, opts);
    assert.equal(early.certificate?.inRenewalWindow, false);
  });

  test("a certificate for another name, or a file charon has not loaded, is warned", () => {
    const s = regionStatus({ ...REGION, hostname: "vpn.other.example" }, facts, opts);
    assert.match(s.warnings.join("\n"), /does not name vpn.other.example/);
    // The file was replaced (a new certificate pushed) but charon still holds the old one.
    const pushed = readFileSync(join(__dirname, "status-samples", "other-cert.pem"), "utf8");
    const stale = regionStatus(REGION, { ...facts, certFilePem: pushed }, opts);
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
    const f = { ...two, sas: [...two.sas, { ...alice, uniqueId: "9", remoteHost: "2001:db8::99", remotePort: 4501 }] };
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
