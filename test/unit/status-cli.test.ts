// `npm run status`: the stack-output checks, the SSH failure reasons and the command
// line (help, usage errors, exit statuses, --json). The real SSH path is in
// test/hosts/status.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { classifySshFailure, fingerprint, parseHostKey } from "../../scripts/status/ssh";
import { statusOf } from "../../scripts/status";
import { stackView } from "../../scripts/status/stack";

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
