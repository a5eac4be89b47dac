// A host that looks after itself, on a fresh Debian 12 host provisioned
// by the rendered steps: sshd takes keys only (sshd -T, and a password login that
// worked before the steps is refused after them), a drop-in sshd refuses is taken
// out again, and unattended-upgrades is configured as rendered (what apt-config and
// unattended-upgrade itself see, the timer in the maintenance window).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { detectEspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import { PATHS } from "../../model/server/files";
import { TestHost } from "./lib/host";
import { startClientOf } from "./lib/clients";
import { query } from "../lib/dns";
import type { EspBackend } from "../lib/esp";
import { Lab } from "./lib/lab";
import { renderFor, runStep, runSteps, summary, User } from "./lib/region";
import { ensureRootfs } from "./lib/rootfs";
import { createSshKey, SshKey } from "./lib/ssh";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };
/** The resolver on: vpn:dnsServers empty (the default; region.ts's fixture pushes documentation addresses). */
const OWN_RESOLVER = { "vpn:dnsServers": [] };
/** A local account with a password (test-only), as an image or an operator might leave one. */
const TESTER = { name: "tester", password: "Tester-passw0rd-1" };

/**
 * Tries to log in as `user` with `password` only (no key), the way a scanner does:
 * OpenSSH's client reads the password from SSH_ASKPASS (forced, no terminal).
 * Returns ssh's exit code and what it printed.
 */
function passwordLogin(dir: string, address: string, user: string, password: string): Promise<{ code: number | null; output: string }> {
  const askpass = join(dir, "askpass.sh");
  writeFileSync(askpass, `#!/bin/sh\nprintf '%s\\n' '${password}'\n`, { mode: 0o700 });
  const argv = [
    "-o",
    "BatchMode=no",
    "-o",
    "PubkeyAuthentication=no",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityFile=/dev/null",
    "-o",
    "PreferredAuthentications=password,keyboard-interactive",
    "-o",
    "NumberOfPasswordPrompts=1",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=5",
    "-T",
    `${user}@${address}`,
    "echo logged-in",
  ];
  return new Promise((resolve) => {
    // setsid: no controlling terminal, so ssh must use the askpass program.
    const child = spawn("setsid", ["-w", "ssh", ...argv], {
      env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: "force", DISPLAY: "none" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** `sshd -T` as a keyword -> value map (lower-case keywords, as sshd prints them). */
async function sshdEffective(host: TestHost): Promise<Record<string, string>> {
  const out = await host.sshOk("sshd -T");
  return Object.fromEntries(
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
  );
}

describe("a provisioned Debian 12 host: SSH by key only, unattended upgrades in the maintenance window", { timeout: 600_000 }, () => {
  let dir: string;
  let lab: Lab;
  let key: SshKey;
  let pki: TestPki;
  let host: TestHost;
  let esp: EspBackend;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-"));
    esp = await detectEspBackend();
    const rootfs = await ensureRootfs(log);
    [key, pki] = await Promise.all([createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), "vpn.hosts.example.test")]);
    lab = await Lab.create(log);
    host = await TestHost.create({ lab, rootfs, key, index: 5, libipsec: esp === "libipsec", log });
  });

  after(async () => {
    await host?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("before the steps a password login works; after them sshd takes keys only (sshd -T) and refuses it", async () => {
    await host.sshOk(`useradd -m -s /bin/sh ${TESTER.name} && echo '${TESTER.name}:${TESTER.password}' | chpasswd`);
    log(`test-only: a local account ${TESTER.name} with a password, to show password logins work before the steps`);
    const before = await passwordLogin(dir, host.v4, TESTER.name, TESTER.password);
    assert.equal(before.code, 0, `control: the fresh host accepts the password login: ${before.output}`);
    assert.match(before.output, /logged-in/);
    const fresh = await sshdEffective(host);
    assert.equal(fresh.passwordauthentication, "yes", "the image's own default");

    const runs = await runSteps(host, renderFor(host, [alice], pki, OWN_RESOLVER));
    assert.match(runs.find((r) => r.name === "apply")!.output, /^sshd$/m);
    const eff = await sshdEffective(host);
    assert.deepEqual(
      Object.fromEntries(
        [
          "permitrootlogin",
          "authenticationmethods",
          "passwordauthentication",
          "kbdinteractiveauthentication",
          "permitemptypasswords",
          "x11forwarding",
          "allowagentforwarding",
          "logingracetime",
          "maxauthtries",
        ].map((k) => [k, eff[k]]),
      ),
      {
        permitrootlogin: "without-password", // sshd -T's name for prohibit-password
        authenticationmethods: "publickey",
        passwordauthentication: "no",
        kbdinteractiveauthentication: "no",
        permitemptypasswords: "no",
        x11forwarding: "no",
        allowagentforwarding: "no",
        logingracetime: "30",
        maxauthtries: "3",
      },
    );
    const afterSteps = await passwordLogin(dir, host.v4, TESTER.name, TESTER.password);
    assert.notEqual(afterSteps.code, 0, `the password login must be refused: ${afterSteps.output}`);
    assert.match(afterSteps.output, /Permission denied \(publickey\)/, "sshd offers nothing but public keys");
    assert.doesNotMatch(afterSteps.output, /logged-in/);
    const rootByPassword = await passwordLogin(dir, host.v4, "root", TESTER.password);
    assert.match(rootByPassword.output, /Permission denied \(publickey\)/);
    assert.equal((await host.sshOk("echo key-login")).trim(), "key-login", "root still logs in with the key, through the reloaded sshd");
    log(`sshd: password login accepted before the steps, refused after (${summary(runs)})`);
  });

  test("a drop-in that sshd refuses is taken out again by apply, which fails; sshd keeps serving with the old settings", async () => {
    const render = renderFor(host, [alice], pki, OWN_RESOLVER);
    await host.sshOk(`echo 'NoSuchKeyword yes' >> ${PATHS.sshdDropIn} && echo ${PATHS.sshdDropIn} >> ${PATHS.stateDir}/pending-changes`);
    const apply = render.steps.find((s) => s.name === "apply")!;
    const r = await host.ssh(apply.script, { timeoutMs: 120_000 });
    assert.notEqual(r.code, 0, "apply fails");
    assert.match(r.output, /sshd refused the configuration/);
    assert.equal((await host.sshOk(`test -e ${PATHS.sshdDropIn} && echo present || echo absent`)).trim(), "absent");
    assert.equal((await host.sshOk("sshd -t && echo valid")).trim(), "valid", "what is left is a configuration sshd accepts");
    // The next `pulumi up` puts the rendered drop-in back.
    await runStep(
      host,
      render.steps.find((s) => s.name === "push-files")!,
    );
    await runStep(host, apply);
    assert.equal((await sshdEffective(host)).passwordauthentication, "no");
  });

  test("apt sees the rendered unattended-upgrades settings: exactly our origins, daily, reboot right after the run", async () => {
    const dump = await host.sshOk("apt-config dump");
    const values = (k: string) => [...dump.matchAll(new RegExp(`^${k.replace(/::/g, "::")}(?:::)? "([^"]*)";$`, "gm"))].map((m) => m[1]).filter(Boolean);
    assert.deepEqual(values("Unattended-Upgrade::Origins-Pattern"), [
      "origin=Debian,codename=${distro_codename},label=Debian",
      "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
    ]);
    assert.deepEqual(values("Unattended-Upgrade::Allowed-Origins"), [], "the package's own list is cleared");
    assert.deepEqual(values("APT::Periodic::Update-Package-Lists"), ["1"]);
    assert.deepEqual(values("APT::Periodic::Unattended-Upgrade"), ["1"]);
    assert.deepEqual(values("Unattended-Upgrade::Automatic-Reboot"), ["true"]);
    assert.deepEqual(values("Unattended-Upgrade::Automatic-Reboot-Time"), ["now"]);

    // unattended-upgrade itself, on the package lists the install step fetched from the mirror.
    const dry = await host.sshOk("unattended-upgrade --dry-run --debug 2>&1", { timeoutMs: 300_000 });
    const allowed = /^Allowed origins are: (.*)$/m.exec(dry)?.[1];
    assert.equal(allowed, "origin=Debian,codename=bookworm,label=Debian, origin=Debian,codename=bookworm-security,label=Debian-Security", dry.slice(-2000));
    log(
      `unattended-upgrade --dry-run: allowed origins ${allowed}; ${/^(No packages found that can be upgraded unattended.*|Packages that will be upgraded:.*)$/m.exec(dry)?.[1] ?? "(no summary line)"}`,
    );
  });

  test("the upgrade timer is enabled and next runs at 04:00 UTC (vpn:maintenanceWindow's default), with no catch-up at boot", async () => {
    const out = await host.sshOk(
      "systemctl is-enabled apt-daily-upgrade.timer apt-daily.timer; systemctl is-active apt-daily-upgrade.timer; " +
        "systemctl show apt-daily-upgrade.timer -p TimersCalendar -p Persistent -p RandomizedDelayUSec; " +
        "TZ=UTC systemctl show apt-daily-upgrade.timer -p NextElapseUSecRealtime --value",
    );
    const lines = out.trim().split("\n");
    assert.deepEqual(lines.slice(0, 3), ["enabled", "enabled", "active"]);
    assert.match(out, /^TimersCalendar=\{ OnCalendar=\*-\*-\* 04:00:00 UTC ; next_elapse=/m, "only our calendar: Debian's 06:00 is reset");
    assert.equal((out.match(/OnCalendar=/g) ?? []).length, 1);
    assert.match(out, /^Persistent=no$/m);
    assert.match(out, /^RandomizedDelayUSec=10min$/m);
    const next = lines[lines.length - 1];
    assert.match(next, / 04:(0\d|10):\d\d UTC$/, `next run ${next}: inside the window 04:00-04:10 UTC`);
    log(`apt-daily-upgrade.timer next run: ${next}`);
  });

  test("the resolver runs, validating, on the server's pool addresses only; clients get it and reach it through the tunnel, nobody else", async () => {
    const v4 = "10.47.83.1";
    const v6 = host.routedV6.replace(/::\/64$/, "::1:0");
    const state = await host.sshOk(
      "systemctl is-active unbound vpn-resolver-address.service; systemctl is-enabled unbound vpn-resolver-address.service; " +
        "ss -Hlnu 'sport = :53' | awk '{print $4}' | sort; unbound-checkconf -o auto-trust-anchor-file; test -s /var/lib/unbound/root.key && echo root-key",
    );
    const lines = state.trim().split("\n");
    assert.deepEqual(lines.slice(0, 4), ["active", "active", "enabled", "enabled"]);
    assert.deepEqual(lines.slice(4, -2).sort(), [`${v4}:53`, `[${v6}]:53`].sort(), "unbound listens on the pool addresses only");
    assert.deepEqual(lines.slice(-2), ["/var/lib/unbound/root.key", "root-key"], "DNSSEC validation with the real root's anchor (Debian's fragment)");

    await lab.routeV6RangeTo(host.index);
    const c = await startClientOf(lab, host, alice, pki.rootPem, esp, dir);
    try {
      await c.connectOrThrow();
      assert.deepEqual(c.dns().sort(), [v4, v6].sort(), "the server's own resolver is pushed");
      // The lab has no Internet: unbound answers from its built-in localhost zone, which needs no recursion.
      for (const server of [v4, v6]) {
        const r = await query(c.ns, server, "localhost", "A");
        assert.deepEqual({ rcode: r.rcode, addrs: r.addrs }, { rcode: 0, addrs: ["127.0.0.1"] }, `through the tunnel via ${server}`);
      }
    } finally {
      await c.stop();
    }
    const outside = await Promise.all([
      query(lab.upstream.name, host.v4, "localhost", "A", { timeoutMs: 1500 }),
      query(lab.upstream.name, host.v6, "localhost", "A", { timeoutMs: 1500 }),
      query(lab.upstream.name, v6, "localhost", "A", { timeoutMs: 1500 }),
    ]);
    assert.deepEqual(
      outside.map((r) => r.error ?? `rcode ${r.rcode}`),
      ["TIMEOUT", "TIMEOUT", "TIMEOUT"],
      "no answer from outside the tunnel",
    );
    log(`resolver: unbound on ${v4} and ${v6} only, pushed to clients, answers through the tunnel, not from outside`);
  });
});
