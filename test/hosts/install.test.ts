// The install step against what a fresh cloud VM throws at it: the dpkg lock
// held by unattended-upgrades, the apt lists lock held by apt's daily update,
// and an SSH connection cut while packages are being installed. Each case on a
// fresh host; the step must wait or converge, never fail or leave a broken host.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { detectEspBackend, EspBackend } from "../lib/esp";
import { createPki, TestPki } from "../lib/pki";
import type { WhoamiServer } from "../lib/upstream";
import { GiveUp, waitFor } from "../lib/wait";
import type { RegionRender } from "../../model/render";
import { SERVER_PACKAGES } from "../../model/steps";
import { sourceSeenUpstream, startClientOf, startUpstreamWhoami } from "./lib/clients";
import { TestHost } from "./lib/host";
import { Lab, NET } from "./lib/lab";
import { HOSTNAME, renderFor, runStep, runSteps, StepRun, summary, User } from "./lib/region";
import { ensureRootfs, Rootfs } from "./lib/rootfs";
import { createSshKey, SshKey, SshSession } from "./lib/ssh";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };

/** How long a lock is held after the step reported that it waits for it. */
const HOLD_MS = 6000;

/** Python run on the host to take a lock the way the named program does, until its stdin closes. */
const LOCKERS = {
  // unattended-upgrade: apt_pkg.pkgsystem_lock() takes dpkg's frontend lock and dpkg's own lock.
  "unattended-upgrades (the dpkg lock)": "apt_pkg.pkgsystem_lock()",
  // apt's daily update (apt-get update, apt.systemd.daily): the lists directory's lock.
  "apt's daily update (the lists lock)": "apt_pkg.get_lock(apt_pkg.config.find_dir('Dir::State::Lists') + 'lock', True)",
};

/** Takes the lock on the host and holds it until endInput(); resolves once it is held. */
async function holdLock(host: TestHost, take: string): Promise<SshSession> {
  const py = `import apt_pkg, sys\napt_pkg.init_config(); apt_pkg.init_system()\n${take}\nprint("locked", flush=True)\nsys.stdin.read()\n`;
  const lock = host.start(`python3 -c "$(echo ${Buffer.from(py).toString("base64")} | base64 -d)"`, { holdStdin: true, timeoutMs: 300_000 });
  await waitFor(
    () => {
      if (lock.ended) throw new GiveUp(`could not take the lock:\n${lock.output}`);
      return /^locked$/m.test(lock.output);
    },
    { timeoutMs: 15_000, what: "the lock to be taken" },
  );
  return lock;
}

describe("the install step on a fresh host", { timeout: 600_000 }, () => {
  let dir: string;
  let lab: Lab;
  let rootfs: Rootfs;
  let esp: EspBackend;
  let pki: TestPki;
  let whoami: WhoamiServer;
  let key: SshKey;
  let nextIndex = 1;

  async function freshHost(): Promise<TestHost> {
    return TestHost.create({ lab, rootfs, key, index: nextIndex++, libipsec: esp === "libipsec", log });
  }

  async function installedState(host: TestHost): Promise<{ audit: string; missing: string[] }> {
    const out = await host.sshOk(
      `dpkg --audit; for p in ${SERVER_PACKAGES.join(" ")}; do dpkg-query -W -f='\${Status}' $p 2>/dev/null | grep -q 'install ok installed' || echo "missing $p"; done`,
    );
    const missing = [...out.matchAll(/^missing (\S+)$/gm)].map((m) => m[1]);
    return { audit: out.replace(/^missing .*\n?/gm, "").trim(), missing };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-"));
    esp = await detectEspBackend();
    [rootfs, key, pki] = await Promise.all([ensureRootfs(log), createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    lab = await Lab.create(log);
    whoami = await startUpstreamWhoami(lab);
  });

  after(async () => {
    await whoami?.stop();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [holder, take] of Object.entries(LOCKERS)) {
    test(`${holder} held by another process makes the install step wait, not fail`, async () => {
      const host = await freshHost();
      try {
        const install = renderFor(host, [alice], pki).steps.find((s) => s.name === "install-packages")!;
        const missingAtStart = (await installedState(host)).missing;
        assert.ok(missingAtStart.length > 0, "the fresh host lacks the server packages");
        const lock = await holdLock(host, take);
        const step = host.start(install.script, { timeoutMs: 300_000 });
        const waiting = await waitFor(
          () => {
            if (step.ended) throw new GiveUp(`the step ended while the lock was held:\n${step.output}`);
            return /locked by another process; waiting|Waiting for cache lock/.exec(step.output)?.[0];
          },
          { timeoutMs: 60_000, what: "the step to report that it waits for the lock" },
        );
        const waitingSince = Date.now();
        // Still waiting, not failed, for as long as the lock is held.
        await waitFor(
          () => {
            if (step.ended) throw new GiveUp(`the step gave up:\n${step.output}`);
            return Date.now() - waitingSince >= HOLD_MS;
          },
          { timeoutMs: HOLD_MS + 5000, intervalMs: 200, what: "the lock to have been held long enough" },
        );
        assert.deepEqual((await installedState(host)).missing, missingAtStart, "nothing was installed while the lock was held");
        const released = Date.now();
        lock.endInput();
        await lock.done;
        const r = await step.done;
        assert.equal(r.code, 0, `the step succeeded once the lock was released:\n${r.output}`);
        const state = await installedState(host);
        assert.deepEqual(state, { audit: "", missing: [] }, "every package installed, dpkg clean");
        log(
          `${holder}: the step reported "${waiting}", waited ${secs(released - waitingSince)}+ while it was held, finished ${secs(Date.now() - released)} after the release`,
        );
      } finally {
        await host.destroy();
      }
    });
  }

  /** Starts the install step and returns once dpkg is unpacking or configuring the packages. */
  async function installUntilDpkgRuns(host: TestHost, render: RegionRender): Promise<{ step: SshSession; dpkg: string }> {
    const install = render.steps.find((s) => s.name === "install-packages")!;
    const step = host.start(install.script, { timeoutMs: 300_000 });
    const dpkg = await waitFor(
      () => {
        if (step.ended) throw new GiveUp(`the step ended before dpkg ran:\n${step.output}`);
        return host.processes().find((p) => /^\/usr\/bin\/dpkg .*--(unpack|configure) /.test(p) && !/--configure -a/.test(p));
      },
      { timeoutMs: 120_000, intervalMs: 10, what: "dpkg installing the packages" },
    );
    return { step, dpkg: dpkg.split(" ").slice(0, 4).join(" ") };
  }

  /** Re-runs the steps Pulumi re-runs after a failed install, then checks packages and a tunnel. */
  async function convergeAndConnect(host: TestHost, render: RegionRender): Promise<StepRun[]> {
    const runs = await runSteps(host, render, ["install-packages", "push-files", "apply"]);
    assert.deepEqual(await installedState(host), { audit: "", missing: [] }, "every package installed, dpkg clean");
    await lab.routeV6RangeTo(host.index);
    const c = await startClientOf(lab, host, alice, pki.rootPem, esp, dir);
    try {
      await c.connectOrThrow();
      assert.equal(await sourceSeenUpstream(c, NET.upstreamV4), host.v4, "the tunnel works");
    } finally {
      await c.stop();
    }
    return runs;
  }

  test("SSH cut during package install: the re-run waits for the orphaned install and converges", async () => {
    const host = await freshHost();
    try {
      const render = renderFor(host, [alice], pki);
      await runStep(host, render.steps[0]);
      const { step, dpkg } = await installUntilDpkgRuns(host, render);
      step.cut();
      assert.notEqual((await step.done).code, 0, "the step did not complete");
      // sshd closed the session; apt ignores the broken pipe and carries on, holding the locks.
      const orphaned = host.processes().filter((p) => /\b(apt-get|dpkg)\b/.test(p)).length;
      assert.ok(orphaned > 0, "the install goes on after the cut");
      const runs = await convergeAndConnect(host, render);
      const waited = /locked by another process; waiting|Waiting for cache lock/.test(runs[0].output);
      log(
        `SSH cut while ${dpkg}...: ${orphaned} apt/dpkg processes went on without it; the re-run ${waited ? "waited for their locks and " : ""}converged (${summary(runs)})`,
      );
    } finally {
      await host.destroy();
    }
  });

  test("install killed half-way (connection cut, its processes killed): the re-run repairs dpkg and converges", async () => {
    const host = await freshHost();
    try {
      const render = renderFor(host, [alice], pki);
      await runStep(host, render.steps[0]);
      const { step, dpkg } = await installUntilDpkgRuns(host, render);
      // The whole remote session dies at once, as with a crash or an OOM kill of the session.
      const session = host.processTable().find((p) => p.cmd.includes("Step: install strongSwan"));
      assert.ok(session, "the step's shell runs on the host");
      host.killTree(session.pid);
      step.cut();
      assert.notEqual((await step.done).code, 0, "the step did not complete");
      await waitFor(() => !host.processes().some((p) => /\b(apt-get|dpkg)\b/.test(p)), { timeoutMs: 30_000, what: "apt and dpkg gone" });
      const broken = await installedState(host);
      assert.ok(broken.missing.length > 0 || broken.audit !== "", "the kill left the install unfinished");
      const runs = await convergeAndConnect(host, render);
      log(
        `install killed while ${dpkg}...: ${broken.missing.length} of ${SERVER_PACKAGES.length} packages not installed${broken.audit ? ", dpkg --audit reported half-done packages" : ""}; re-run converged (${summary(runs)})`,
      );
    } finally {
      await host.destroy();
    }
  });
});
