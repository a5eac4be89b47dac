import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { profileFiles, profileTree, renderProfiles } from "../../model/profiles";
import { makeTestCa, PASSWORDS, STACK, TestCa, testConfig } from "./profiles-fixtures";

const ROOT = join(__dirname, "..", "..");

describe("profile set and files", () => {
  let ca: TestCa;
  let tmp: string;
  before(() => {
    ca = makeTestCa("vpn.example.com");
    tmp = mkdtempSync(join(tmpdir(), "profiles-out-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const input = () => ({
    stack: STACK,
    config: testConfig({ onDemand: "untrusted-wifi" as const, trustedSsids: ["Home"] }),
    passwords: PASSWORDS,
    certificates: { "us-ord": { certPem: ca.leafPem, chainPem: ca.intermediatePem, keyPem: ca.leafKeyPem } },
  });

  it("has every format for every user and region", () => {
    const profiles = renderProfiles(input());
    assert.deepEqual(Object.keys(profiles), ["alice", "bob"]);
    for (const user of ["alice", "bob"]) {
      assert.deepEqual(Object.keys(profiles[user]), ["us-ord", "eu-central"]);
      assert.deepEqual(Object.keys(profiles[user]["us-ord"]), ["apple", "appleSigned", "windows", "android", "linuxNm", "linuxSwanctl"]);
      assert.deepEqual(Object.keys(profiles[user]["eu-central"]), ["apple", "windows", "android", "linuxNm", "linuxSwanctl"]);
    }
  });

  it("is byte-identical for the same inputs, signatures included", () => {
    assert.deepEqual(renderProfiles(input()), renderProfiles(input()));
  });

  it("changes only the changed user's files when one password changes", () => {
    const a = renderProfiles(input());
    const b = renderProfiles({ ...input(), passwords: { ...PASSWORDS, bob: "a new password" } });
    assert.deepEqual(b.alice, a.alice);
    for (const region of ["us-ord", "eu-central"]) {
      for (const k of ["apple", "windows", "android", "linuxNm", "linuxSwanctl"] as const) assert.notEqual(b.bob[region][k], a.bob[region][k], k);
    }
    assert.notEqual(b.bob["us-ord"].appleSigned, a.bob["us-ord"].appleSigned);
  });

  it("throws for a user without a password", () => {
    assert.throws(() => renderProfiles({ ...input(), passwords: { alice: "pw123456" } }), /no password for user bob/);
  });

  it("names files by user with the platform's extension", () => {
    const set = renderProfiles(input()).alice["us-ord"];
    const files = profileFiles("alice", "us-ord", set);
    assert.deepEqual(Object.keys(files).sort(), [
      "alice-signed.mobileconfig",
      "alice.mobileconfig",
      "alice.nmconnection",
      "alice.ps1",
      "alice.sswan",
      "alice.swanctl.conf",
    ]);
    assert.ok(Buffer.isBuffer(files["alice-signed.mobileconfig"]));
    assert.equal(files["alice.ps1"], set.windows);
  });

  it("lays files out as <region>/profiles/<user>/ and refuses names that would escape it", () => {
    const tree = profileTree(renderProfiles(input()));
    assert.ok("us-ord/profiles/alice/alice.mobileconfig" in tree);
    assert.ok("eu-central/profiles/bob/bob.swanctl.conf" in tree);
    assert.equal(Object.keys(tree).length, 2 * (6 + 5));
    const set = renderProfiles(input()).alice["us-ord"];
    for (const bad of ["../x", ".hidden", "a/b", ""]) assert.throws(() => profileTree({ [bad]: { "us-ord": set } }), /unusable in a file path/);
  });

  it("npm run profiles writes the stack output's profiles as 0600 files", () => {
    const profiles = renderProfiles(input());
    // A stand-in `pulumi` on PATH that prints what `pulumi stack output --json --show-secrets` would.
    const bin = join(tmp, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(tmp, "outputs.json"), JSON.stringify({ profiles, other: 1 }));
    // Like the real CLI: an unknown stack is "error: no stack named '<name>' found", exit 255.
    writeFileSync(
      join(bin, "pulumi"),
      `#!/bin/sh\ncase "$*" in\n"stack output --show-secrets --json --stack dev") cat ${JSON.stringify(join(tmp, "outputs.json"))} ;;\n"stack output --show-secrets --json --stack other") echo "error: no stack named 'other' found" >&2; exit 255 ;;\n*) echo "unexpected: $*" >&2; exit 3 ;;\nesac\n`,
    );
    chmodSync(join(bin, "pulumi"), 0o755);
    const out = join(tmp, "out");
    const res = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/profiles.ts", "--stack", "dev", "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") },
    });
    assert.equal(res.status, 0, res.stderr);
    assert.doesNotMatch(res.stdout + res.stderr, new RegExp(PASSWORDS.alice));
    const dir = join(out, "us-ord", "profiles", "alice");
    assert.deepEqual(readdirSync(dir).sort(), [
      "alice-signed.mobileconfig",
      "alice.mobileconfig",
      "alice.nmconnection",
      "alice.ps1",
      "alice.sswan",
      "alice.swanctl.conf",
    ]);
    for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(readFileSync(join(dir, "alice-signed.mobileconfig")), Buffer.from(profiles.alice["us-ord"].appleSigned!, "base64"));
    assert.equal(readFileSync(join(out, "eu-central", "profiles", "bob", "bob.ps1"), "utf8"), profiles.bob["eu-central"].windows);

    const bad = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/profiles.ts", "--stack", "other", "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") },
    });
    // A user error (wrong stack): one line naming it and pulumi's reason, exit 2 (scripts/lib/cli.ts).
    assert.deepEqual([bad.status, bad.stderr], [2, "profiles: stack other does not exist (pulumi: no stack named 'other' found)\n"]);

    // Without any CLI: one clear line, not "spawnSync pulumi ENOENT".
    const none = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/profiles.ts", "--stack", "dev", "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: "/usr/bin:/bin",
        HOME: join(tmp, "no-home"),
        PULUMI_HOME: join(tmp, "no-cli"),
        TS_NODE_PROJECT: join(ROOT, "tsconfig.json"),
      },
    });
    // The command could not run (not a usage error): exit 1, as for status.
    assert.equal(none.status, 1);
    assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);
    assert.match(none.stderr, /^profiles: the Pulumi CLI is not installed/);
    assert.doesNotMatch(none.stderr, /ENOENT/);

    const help = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/profiles.ts", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, "tsconfig.json") },
    });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: npm run profiles/);
  });
});
