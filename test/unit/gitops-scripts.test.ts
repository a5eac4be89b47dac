// scripts/gitops/*.sh with a stand-in `pulumi` (records its argv, answers from the
// test's script): what the drift check reports and how it exits; up.sh updates only
// when the preview says something would change. The engine tier runs the same scripts against the real CLI and the
// local Linode (test/engine/gitops.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(__dirname, "..", "..");

interface Fake {
  /** sh snippet run with "$@" = the pulumi arguments; $LOG is appended the argv first. */
  pulumi: string;
}

function run(script: string, fake: Fake, args: string[] = [], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gitops-scripts-"));
  mkdirSync(join(dir, "bin"));
  const log = join(dir, "pulumi.log");
  writeFileSync(join(dir, "bin", "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\n${fake.pulumi}\n`);
  chmodSync(join(dir, "bin", "pulumi"), 0o755);
  const r = spawnSync("bash", [join(ROOT, "scripts", "gitops", script), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${join(dir, "bin")}:${dirname(process.execPath)}:/usr/bin:/bin`, STACK: "dev", ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr, calls: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [], dir };
}

const plan = (steps: object[], diagnostics: object[] = []) => JSON.stringify({ steps, diagnostics, changeSummary: {} });
const URN = (type: string, name: string) => `urn:pulumi:dev::linode-ikev2-vpn::vpn:index:VpnRegion$${type}::${name}`;

describe("scripts/gitops/drift.sh", () => {
  it("no change: exit 0, no report", () => {
    const json = plan([{ op: "same", urn: URN("linode:index/firewall:Firewall", "us-ord-fw") }]);
    const r = run("drift.sh", { pulumi: `cat <<'EOF'\n${json}\nEOF\nexit 0` });
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, ["preview --refresh --expect-no-changes --json --non-interactive --stack dev"]);
    assert.equal(existsSync(join(r.dir, "drift-report.md")), false);
  });

  it("drift: exit 1 and a report naming each drifted resource and property, nothing unchanged", () => {
    const json = plan(
      [
        { op: "update", urn: URN("linode:index/firewall:Firewall", "us-ord-fw"), diffReasons: ["inbounds"] },
        { op: "update", urn: URN("linode:index/domainRecord:DomainRecord", "us-ord-a"), diffReasons: ["target"] },
        { op: "refresh", urn: URN("linode:index/instance:Instance", "us-ord-vm") },
        { op: "same", urn: URN("linode:index/domainRecord:DomainRecord", "us-ord-aaaa") },
      ],
      [{ severity: "error", message: "error: no changes were expected but changes were proposed" }],
    );
    const r = run("drift.sh", { pulumi: `cat <<'EOF'\n${json}\nEOF\nexit 255` }, ["report.md"]);
    assert.equal(r.status, 1, r.out);
    const report = readFileSync(join(r.dir, "report.md"), "utf8");
    assert.match(report, /^\| update \| `linode:index\/firewall:Firewall us-ord-fw` \| `inbounds` \|$/m);
    assert.match(report, /^\| update \| `linode:index\/domainRecord:DomainRecord us-ord-a` \| `target` \|$/m);
    assert.doesNotMatch(report, /us-ord-vm|us-ord-aaaa/);
  });

  it("a failed check (an error, no plan) exits 2 and reports no drift", () => {
    const bad = run("drift.sh", { pulumi: `echo 'error: failed to decrypt' >&2\nexit 255` });
    assert.equal(bad.status, 2, bad.out);
    assert.match(bad.out, /drift: pulumi preview printed no plan/);
    const err = run("drift.sh", {
      pulumi: `cat <<'EOF'\n${plan([], [{ severity: "error", message: "getting secrets manager: incorrect passphrase" }])}\nEOF\nexit 255`,
    });
    assert.equal(err.status, 2, err.out);
    assert.match(err.out, /drift: getting secrets manager: incorrect passphrase/);
    assert.equal(existsSync(join(err.dir, "drift-report.md")), false);
  });
});

describe("scripts/gitops/up.sh", () => {
  // The stand-in: `preview --expect-no-changes` exits $PREVIEW; `up` exits $UP.
  const pulumi = `case "$1 $2" in
  "preview --expect-no-changes") exit "\${PREVIEW:-0}" ;;
  "up --yes") exit "\${UP:-0}" ;;
esac
exit 0`;

  it("nothing would change: no update (so nothing needs SSH)", () => {
    const r = run("up.sh", { pulumi }, [], { PREVIEW: "0" });
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, ["preview --expect-no-changes --stack dev --non-interactive"]);
    assert.match(r.out, /up: nothing to do/);
  });

  it("a change: the update runs with the message, and its failure fails the run", () => {
    const r = run("up.sh", { pulumi }, ["renewal"], { PREVIEW: "255" });
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, ["preview --expect-no-changes --stack dev --non-interactive", "up --yes --message renewal --stack dev --non-interactive"]);
    const failed = run("up.sh", { pulumi }, [], { PREVIEW: "255", UP: "3" });
    assert.equal(failed.status, 3, failed.out);
  });
});
