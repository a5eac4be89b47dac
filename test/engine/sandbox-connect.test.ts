// `scripts/sandbox.sh connect`: a real strongSwan client in its own namespace on the
// sandbox's network (its resolver the sandbox's DNS, trusting the sandbox's CA)
// connects to a VPN that the real CLI deployed into the sandbox daemon, with a user's
// profile from the stack or with the file `npm run profiles` wrote; the command runs
// through the tunnel, its exit status is connect's, and the client and its namespace
// are gone afterwards. A wrong password fails in one line without printing a secret;
// user errors are one line, exit 2. Skipped, loudly, where the CLI or a plugin is missing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../lib/exec";
import { inventory, missingForEngine } from "./lib/cli";
import { connectNamespaces, parseExports, sandbox, sandboxLines } from "./lib/sandbox";
import { EngineStack } from "./lib/stack";

const ROOT = join(__dirname, "..", "..");
const inv = inventory();
const missing = process.getuid?.() !== 0 ? "needs root (namespaces, containers)" : missingForEngine(inv);
if (missing) console.log(`engine: SKIPPED — ${missing}`);

const STACK = "sbconnect";
const PASSWORD = "alice-Passw0rd-7";
/** Asks the sandbox's upstream who we are, over IPv4 and IPv6 (it answers with the source address it sees). */
const PROBE = 'for a in 203.0.113.2 2001:db8:7700::2; do printf "%s=" "$a"; timeout 10 bash -c "exec 3<>/dev/tcp/$a/8080 && cat <&3" || exit 9; done';

function tunnelAddresses(stderr: string): { v4: string; v6: string } {
  const m = /tunnel addresses: IPv4 (\S+), IPv6 (\S+);/.exec(stderr);
  assert.ok(m, `no tunnel addresses in:\n${stderr}`);
  return { v4: m[1], v6: m[2] };
}

describe("sandbox.sh connect", { skip: missing, concurrency: false }, () => {
  let env: Record<string, string>;
  let stack: EngineStack;
  let region: { ipv4: string; ipv6Range: string };
  const dir = mkdtempSync(join(tmpdir(), "vpn-sandbox-connect-"));

  before(async () => {
    const start = await sandbox(["start"], 600_000);
    assert.equal(start.status, 0, start.stderr.slice(-3000));
    env = parseExports(start.stdout);
    stack = new EngineStack(inv.pulumi!, STACK, { env: { ...env, NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS } });
    await stack.init(
      {
        "vpn:zone": env.SANDBOX_ZONE,
        "vpn:hostname": `vpn.${env.SANDBOX_ZONE}`,
        "vpn:users[0]": "alice",
        "vpn:users[1]": "bob",
        "vpn:acmeServer": env.SANDBOX_ACME_SERVER,
        "vpn:acmeDnsResolvers[0]": env.SANDBOX_DNS,
      },
      { "vpn:passwords.alice": PASSWORD },
    );
    await stack.ok(["up", "--yes", "--skip-preview"], "up");
    region = (await stack.outputs()).regions["us-ord"];
  });

  after(async () => {
    if (stack) {
      await stack.run(["destroy", "--yes", "--skip-preview"]);
      stack.remove();
    }
    const stop = await sandbox(["stop"], 180_000);
    assert.equal(stop.status, 0, stop.stderr);
  });

  test("by user name: the tunnel's addresses are printed, the command's traffic goes through it (v4 NATed, v6 routed)", async () => {
    const r = await sandbox(["connect", "alice", "--stack", STACK, "--run", PROBE], 120_000);
    assert.equal(r.status, 0, r.stderr);
    const vips = tunnelAddresses(r.stderr);
    assert.match(vips.v4, /^10\.47\.83\.\d+$/);
    assert.ok(vips.v6.startsWith(region.ipv6Range.split("::")[0]), `${vips.v6} inside ${region.ipv6Range}`);
    assert.equal(r.stdout.trim(), `203.0.113.2=${region.ipv4}\n2001:db8:7700::2=${vips.v6}`, "v4 leaves as the server's address, v6 as the device's own");
    assert.match(r.stderr, /connected in \d+ ms to vpn\.\S+ .* as alice/);
    assert.deepEqual(connectNamespaces(), [], "the client's namespace is removed");
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD) && !(r.stdout + r.stderr).includes(Buffer.from(PASSWORD).toString("hex")), "no secret printed");
  });

  test("with the file npm run profiles writes; the default command is a shell; connect exits with the command's status", async () => {
    const out = join(dir, "profiles");
    const p = await run([process.execPath, "--require", "ts-node/register/transpile-only", "scripts/profiles.ts", "--stack", STACK, "--out", out], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeoutMs: 120_000,
    });
    assert.equal(p.code, 0, p.stderr);
    const file = join(out, "us-ord", "profiles", "bob", "bob.swanctl.conf");
    // A shell reading its commands from stdin, as a terminal would give them.
    const r = await sandbox(["connect", file], 120_000, { input: 'echo "in $VPN_SANDBOX_CLIENT"\nexit 7\n', env: { ...process.env, SHELL: "/bin/bash" } });
    assert.equal(r.status, 7, r.stderr);
    assert.match(r.stdout, /^in vs-k\d+$/m);
    assert.match(r.stderr, /as bob/);
    tunnelAddresses(r.stderr);
    assert.deepEqual(connectNamespaces(), []);
  });

  test("a wrong password: exit 1, one line that says why, no secret printed", async () => {
    const out = await stack.outputs();
    const good = out.profiles.alice["us-ord"].linuxSwanctl as string;
    const wrong = "not-alices-password";
    const file = join(dir, "alice-wrong.swanctl.conf");
    writeFileSync(file, good.split(Buffer.from(PASSWORD).toString("hex")).join(Buffer.from(wrong).toString("hex")), { mode: 0o600 });
    assert.notEqual(readFileSync(file, "utf8"), good, "the profile carries the password as hex");
    const r = await sandbox(["connect", file, "--timeout", "15", "--run", "true"], 120_000);
    assert.equal(r.status, 1, r.stderr);
    const errors = sandboxLines(r.stderr).filter((l) => /could not connect/.test(l));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0], /^sandbox: alice could not connect to vpn\.\S+: the server refused the user name or password \(.*EAP.*\)$/, r.stderr);
    for (const s of [wrong, PASSWORD, Buffer.from(wrong).toString("hex"), Buffer.from(PASSWORD).toString("hex")])
      assert.ok(!(r.stdout + r.stderr).includes(s), `printed a secret: ${s}`);
    assert.deepEqual(connectNamespaces(), []);
  });

  test("user errors: one line, exit 2, nothing left behind", async () => {
    const offline = join(dir, "offline.swanctl.conf");
    const text = ((await stack.outputs()).profiles.alice["us-ord"].linuxSwanctl as string).replace(/\nsecrets \{[\s\S]*$/, "\n");
    writeFileSync(offline, text);
    const cases: [string[], RegExp][] = [
      [["connect"], /^sandbox: connect needs a profile file/],
      [["connect", "carol", "--stack", STACK], /^sandbox: stack sbconnect has no user carol \(users: alice, bob\)$/],
      [["connect", "alice", "--stack", "no-such-stack"], /^sandbox: stack no-such-stack does not exist/],
      [["connect", join(dir, "missing.swanctl.conf")], /^sandbox: no such profile file: /],
      [["connect", offline], /has no password \(no secrets block: an offline render\)/],
      [["connect", "alice", "--stack", STACK, "--bogus"], /^sandbox: unknown option --bogus/],
      [["connect", "alice", "--run"], /^sandbox: --run needs a command/],
    ];
    for (const [args, re] of cases) {
      const r = await sandbox(args, 60_000);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `${args.join(" ")}: one line, got:\n${r.stderr}`);
      assert.match(lines[0], re, args.join(" "));
    }
    assert.deepEqual(connectNamespaces(), []);
  });
});
