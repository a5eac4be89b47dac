// The engine tier's phase figures come from the CLI's event log: program start from
// the host's "Running program" line, custom resources only (a component spans its
// children), sub-second steps left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatPhases, readEventLog } from "../engine/lib/eventLog";

const urn = (type: string, name: string) => `urn:pulumi:dev::vpn::${type}::${name}`;
const pre = (t: number, type: string, name: string, op: string, provider = "urn:pulumi:dev::vpn::pulumi:providers:x::default") => ({
  timestamp: t,
  resourcePreEvent: { metadata: { urn: urn(type, name), op, provider } },
});
const out = (t: number, type: string, name: string, op: string) => ({ timestamp: t, resOutputsEvent: { metadata: { urn: urn(type, name), op } } });

test("phases: host, program, then each custom resource's step of a second or more, longest first", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpn-evlog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "events.jsonl");
  const events = [
    { timestamp: 100, preludeEvent: {} },
    { timestamp: 102, diagnosticEvent: { severity: "debug", message: "Running program '/p/index.ts' in pwd '/p' w/ args:" } },
    pre(103, "vpn:index:VpnRegion", "us-ord", "create", ""),
    pre(104, "linode:index/instance:Instance", "us-ord-vm", "create"),
    pre(104, "tls:index/privateKey:PrivateKey", "us-ord-ssh", "create"),
    out(104, "tls:index/privateKey:PrivateKey", "us-ord-ssh", "create"),
    out(110, "linode:index/instance:Instance", "us-ord-vm", "create"),
    pre(110, "command:remote:Command", "us-ord-02-install-packages", "create"),
    out(128, "command:remote:Command", "us-ord-02-install-packages", "create"),
    out(129, "vpn:index:VpnRegion", "us-ord", "create"),
  ];
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const p = readEventLog(file)!;
  assert.equal(p.hostSeconds, 2);
  assert.equal(p.programSeconds, 2);
  assert.deepEqual(
    p.resources.map((r) => [r.name, r.seconds]),
    [
      ["us-ord-02-install-packages", 18],
      ["us-ord-vm", 6],
    ],
  );
  assert.equal(formatPhases(p), "host 2 s, program 2 s, us-ord-02-install-packages 18 s, us-ord-vm 6 s");
  assert.equal(readEventLog(join(dir, "absent.jsonl")), undefined);
});
