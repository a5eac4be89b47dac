// scripts/gitops/*.sh with a stand-in `pulumi` (records its argv, answers from the
// test's script): what the drift check reports and how it exits, and the order in
// which the runner's temporary SSH rule is added and removed by up.sh, also when the
// update fails. The engine tier runs the same scripts against the real CLI and the
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
    const err = run("drift.sh", { pulumi: `cat <<'EOF'\n${plan([], [{ severity: "error", message: "getting secrets manager: incorrect passphrase" }])}\nEOF\nexit 255` });
    assert.equal(err.status, 2, err.out);
    assert.match(err.out, /drift: getting secrets manager: incorrect passphrase/);
    assert.equal(existsSync(join(err.dir, "drift-report.md")), false);
  });
});

describe("scripts/gitops/up.sh", () => {
  // The stand-in: `preview --expect-no-changes` exits $PREVIEW; `config get` prints $CIDRS;
  // `up` (not targeted) exits $UP; `stack export` lists one firewall.
  const pulumi = `case "$1 $2" in
  "preview --expect-no-changes") exit "\${PREVIEW:-0}" ;;
  "config get") [ -n "$CIDRS" ] && echo "$CIDRS" && exit 0; exit 1 ;;
  "stack export") echo '{"deployment":{"resources":[{"type":"linode:index/firewall:Firewall","urn":"urn:fw"},{"type":"linode:index/instance:Instance","urn":"urn:vm"}]}}' ;;
  "up --yes") case "$*" in *--target*) exit 0 ;; esac; exit "\${UP:-0}" ;;
esac
exit 0`;

  it("nothing would change: no rule, no update", () => {
    const r = run("up.sh", { pulumi }, [], { PREVIEW: "0", RUNNER_ADDRESS: "192.0.2.5" });
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, ["preview --expect-no-changes --stack dev --non-interactive"]);
  });

  it("a change with SSH restricted: the runner's /32 is added, up runs, then the rule is removed and only the firewalls are updated", () => {
    const r = run("up.sh", { pulumi }, ["renewal"], { PREVIEW: "255", CIDRS: '["198.51.100.7/32"]', RUNNER_ADDRESS: "192.0.2.5" });
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, [
      "preview --expect-no-changes --stack dev --non-interactive",
      "config get vpn:sshAllowedCidrs --stack dev --non-interactive",
      "config set --path vpn:sshAllowedCidrs[1] 192.0.2.5/32 --stack dev --non-interactive",
      "up --yes --message renewal (temporary SSH rule for 192.0.2.5/32) --stack dev --non-interactive",
      "config rm --path vpn:sshAllowedCidrs[1] --stack dev --non-interactive",
      "stack export --stack dev --non-interactive",
      "up --yes --target urn:fw --message renewal (temporary SSH rule removed) --stack dev --non-interactive",
    ]);
  });

  it("a failing update still removes the rule, and the run fails", () => {
    const r = run("up.sh", { pulumi }, [], { PREVIEW: "255", CIDRS: '["198.51.100.7/32"]', RUNNER_ADDRESS: "192.0.2.5", UP: "1" });
    assert.notEqual(r.status, 0, r.out);
    assert.ok(r.calls.includes("config rm --path vpn:sshAllowedCidrs[1] --stack dev --non-interactive"), r.calls.join("\n"));
    assert.match(r.calls[r.calls.length - 1], /^up --yes --target urn:fw /);
  });

  it("SSH open to everyone (the default) or to this address already: no temporary rule", () => {
    for (const cidrs of ["", '["0.0.0.0/0","::/0"]', '["198.51.100.7/32","192.0.2.5/32"]']) {
      const r = run("up.sh", { pulumi }, [], { PREVIEW: "255", CIDRS: cidrs, RUNNER_ADDRESS: "192.0.2.5" });
      assert.equal(r.status, 0, r.out);
      assert.ok(!r.calls.some((c) => c.startsWith("config set") || c.includes("--target")), `${cidrs}: ${r.calls.join(" | ")}`);
      assert.ok(r.calls.some((c) => c.startsWith("up --yes")), "the update runs");
    }
  });

  it("an address that is not an IPv4 address is refused before anything changes", () => {
    const r = run("up.sh", { pulumi }, [], { PREVIEW: "255", CIDRS: '["198.51.100.7/32"]', RUNNER_ADDRESS: "<html>rate limited</html>" });
    assert.equal(r.status, 1);
    assert.match(r.out, /could not tell this runner's public IPv4 address/);
    assert.ok(!r.calls.some((c) => c.startsWith("config set") || c.startsWith("up")));
  });
});
