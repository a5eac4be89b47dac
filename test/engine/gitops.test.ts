// The GitHub workflows' `run:` steps, executed as written (bash -eo pipefail, the
// workflow's and job's environment with the secrets replaced by the sandbox's values)
// against the local Linode world with the real CLI (docs/gitops.md):
//   - pulumi.yml: the pull-request preview on an empty stack (no write to Linode), then up;
//   - drift.yml: the drift check passes after up; a Cloud Firewall rule and a DNS record
//     changed by hand through the API make it fail naming both; the issue step opens,
//     then adds to, one issue (a fake `gh` records the calls); after `up` it passes again;
//   - renew.yml: with vpn:sshAllowedCidrs restricted to the operators' addresses (the
//     deploy runner, this machine, has one of them), a certificate inside its renewal
//     window is renewed and pushed; no firewall changes; SSH stays closed to another
//     address on the world's Internet; the next day's run changes nothing; the expiry
//     check passes.
// The state is on a real S3-compatible server (SeaweedFS, test/engine/lib/s3.ts) when
// the `weed` binary is installed, with the workflows' keys: the preview and the drift
// check run with the read-only key, so they are shown to need no write to the state.
// Without `weed`, the sandbox's file backend (said so in the output).
// The world does not model token scopes: that the read-only token suffices for preview
// and the drift check is shown by the API log (no write request), not by a refusal.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { cliEnv, inventory, missingForEngine } from "./lib/cli";
import { findWeed, READ_ONLY, READ_WRITE, S3Server, startS3 } from "./lib/s3";
import { EngineStack } from "./lib/stack";
import { startWorld, World } from "./world/world";

const ROOT = join(__dirname, "..", "..");
const inv = inventory();
const missing = process.getuid?.() !== 0 ? "needs root (namespaces, containers)" : missingForEngine(inv);
if (missing) console.log(`engine: SKIPPED gitops — ${missing}`);

const WRITES = new Set(["POST", "PUT", "DELETE"]);
const RUNNER = "203.0.113.1"; // this machine on the world's bridge: where the CLI's SSH comes from (the deploy runner)
const OPERATOR = "198.51.100.7/32"; // another operator's address

interface Step {
  run: string;
  env: Record<string, string>;
}

/** A step of a workflow with the workflow's, job's and step's env, `${{ }}` resolved for the sandbox. */
function workflowStep(file: string, job: string, pick: (s: any) => boolean, secrets: Record<string, string>): Step {
  const doc = parse(readFileSync(join(ROOT, ".github", "workflows", file), "utf8"));
  const j = doc.jobs[job];
  const step = j.steps.find((s: any) => s.run && pick(s));
  assert.ok(step, `${file}: job ${job} has the step`);
  const resolve = (v: unknown): string =>
    String(v).replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
      const secret = /^secrets\.(\w+)$/.exec(expr);
      if (secret) {
        assert.ok(secret[1] in secrets, `${file}: no sandbox value for secrets.${secret[1]}`);
        return secrets[secret[1]];
      }
      const withDefault = /^vars\.\w+ \|\| '([^']*)'$/.exec(expr);
      if (withDefault) return withDefault[1];
      if (expr === "github.token") return "fake-github-token";
      if (expr === "github.repository") return "team/vpn";
      throw new Error(`${file}: no sandbox value for \${{ ${expr} }}`);
    });
  const env: Record<string, string> = {};
  for (const scope of [doc.env, j.env, step.env]) for (const [k, v] of Object.entries(scope ?? {})) env[k] = resolve(v);
  return { run: step.run, env };
}

describe("the workflows' run: steps against the local Linode", { skip: missing, concurrency: false }, () => {
  let world: World;
  let dev: EngineStack;
  let base: NodeJS.ProcessEnv;
  let secrets: Record<string, string>;
  let s3: S3Server | undefined;
  const tmp = mkdtempSync(join(tmpdir(), "vpn-gitops-"));
  const ghLog = join(tmp, "gh.log");

  /** Runs a workflow step as GitHub runs `run:` (bash --noprofile --norc -eo pipefail) in the stack's checkout. */
  function runStep(step: Step, extra: Record<string, string> = {}): Promise<{ status: number | null; out: string }> {
    return new Promise((resolve) => {
      const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
        cwd: dev.dir,
        env: {
          ...base,
          ...step.env,
          GITHUB_STEP_SUMMARY: join(tmp, "summary.md"),
          ...extra,
          PATH: `${join(tmp, "bin")}:${dirname(inv.pulumi!)}:${process.env.PATH}`,
        },
      });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      const timer = setTimeout(() => child.kill("SIGTERM"), 20 * 60_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, out });
      });
    });
  }

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${world.url}/v4/${path}`, {
      method,
      headers: { Authorization: `Bearer ${world.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    assert.equal(res.status, 200, JSON.stringify(json));
    return json;
  }

  /** Whether a TCP connection to port 22 opens from this machine within 3 s (the firewall drops, so a refusal never comes). */
  function sshOpen(host: string): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect({ host, port: 22, timeout: 3000 });
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("timeout", () => (s.destroy(), resolve(false)));
      s.once("error", () => resolve(false));
    });
  }

  /** The same from a client namespace of the world (another address on its Internet), bounded by `timeout`. */
  function sshOpenFrom(ns: string, host: string): Promise<boolean> {
    return new Promise((resolve) => {
      const child = spawn("ip", ["netns", "exec", ns, "timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${host}/22`], { stdio: "ignore" });
      child.on("close", (status) => resolve(status === 0));
    });
  }

  /** The SSH rule's IPv4 sources as the world enforces them now. */
  const sshSourcesNow = () => world.firewalls()[0]?.inbound.find((r) => r.label === "ssh")?.addresses.ipv4;

  before(async () => {
    world = await startWorld({ log: (m) => console.log(m) });
    const env = world.env();
    const weed = findWeed();
    if (weed) s3 = await startS3(weed, "vpn-state");
    else console.log("gitops: no `weed` binary: the workflow steps use the sandbox's file backend, not the object store");
    secrets = {
      PULUMI_BACKEND_URL: s3 ? s3.backendUrl : env.PULUMI_BACKEND_URL,
      PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE,
      LINODE_TOKEN: world.token,
      LINODE_TOKEN_READ_ONLY: world.token,
      STATE_ACCESS_KEY_ID: READ_WRITE.accessKey,
      STATE_SECRET_ACCESS_KEY: READ_WRITE.secretKey,
      STATE_READ_ONLY_ACCESS_KEY_ID: READ_ONLY.accessKey,
      STATE_READ_ONLY_SECRET_ACCESS_KEY: READ_ONLY.secretKey,
    };
    // Only what a runner has besides the workflow's env: the CLI's own settings and the
    // sandbox's endpoints; no AWS setup of this machine.
    base = cliEnv({
      LINODE_URL: world.url,
      LINODE_EVENT_POLL_MS: "500",
      NODE_EXTRA_CA_CERTS: world.httpsCaFile,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    });
    for (const k of ["LINODE_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) delete base[k];
    // The operator's own commands (config set, outputs) use the same backend with the read-write key.
    const operator: Record<string, string> = s3
      ? {
          PULUMI_BACKEND_URL: s3.backendUrl,
          AWS_ACCESS_KEY_ID: READ_WRITE.accessKey,
          AWS_SECRET_ACCESS_KEY: READ_WRITE.secretKey,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        }
      : {};
    dev = new EngineStack(inv.pulumi!, "dev", { world, env: operator });
    // A snapshot of the sources and scripts instead of EngineStack's links into the
    // checkout: an edit to the checkout while this runs would be a code change, which
    // the drift check rightly reports too.
    for (const f of [
      "index.ts",
      "program.ts",
      "config",
      "model",
      "components",
      "templates",
      "package.json",
      "tsconfig.json",
      "tsconfig.program.json",
      "scripts",
    ]) {
      rmSync(join(dev.dir, f), { force: true });
      cpSync(join(ROOT, f), join(dev.dir, f), { recursive: true, dereference: true });
    }
    // No linode:token in the stack: the token comes from the workflow's LINODE_TOKEN, as in CI.
    await dev.init({
      "vpn:zone": world.zones[0],
      "vpn:hostname": `vpn.${world.zones[0]}`,
      "vpn:region": "us-ord",
      "vpn:acmeServer": world.acmeDirectory,
      "vpn:acmeDnsResolvers[0]": world.dnsServer,
      "vpn:users[0]": "alice",
      "linode:url": world.url,
      "linode:eventPollMs": "500",
      // The operator's first deploy comes from this machine.
      "vpn:sshAllowedCidrs[0]": `${RUNNER}/32`,
    });
    mkdirSync(join(tmp, "bin"));
    // A fake GitHub CLI: records its argv; `issue list` answers FAKE_GH_OPEN (an open issue's number) or nothing.
    writeFileSync(
      join(tmp, "bin", "gh"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> "${ghLog}"\n[ "$1 $2" = "issue list" ] && [ -n "$FAKE_GH_OPEN" ] && echo "$FAKE_GH_OPEN"\nexit 0\n`,
    );
    chmodSync(join(tmp, "bin", "gh"), 0o755);
  });

  after(async () => {
    if (dev) {
      if (world?.instances().length) await dev.run(["destroy", "--yes", "--skip-preview"]);
      dev.remove();
    }
    await world?.stop();
    await s3?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test("pulumi.yml: the pull-request preview lists the creates and writes nothing; up creates the VPN", async () => {
    const preview = workflowStep("pulumi.yml", "preview", (s) => /pulumi preview/.test(s.run), secrets);
    const before = world.api.requests.length;
    const p = await runStep(preview);
    assert.equal(p.status, 0, p.out);
    assert.match(p.out, /\+\s+.*linode:index\/instance:Instance/);
    assert.deepEqual(
      world.api.requests.slice(before).filter((r) => WRITES.has(r.method)),
      [],
      "the preview sent no write",
    );
    assert.match(readFileSync(join(tmp, "summary.md"), "utf8"), /### pulumi preview/);
    const up = workflowStep("pulumi.yml", "up", (s) => /gitops\/up\.sh/.test(s.run), secrets);
    const u = await runStep(up, { GITHUB_SHA: "0123abc" });
    assert.equal(u.status, 0, u.out);
    assert.equal(world.instances().length, 1);
    if (s3) {
      const keys = [...(await s3.objects()).keys()];
      assert.ok(
        keys.some((k) => /\/\.pulumi\/stacks\/[^/]+\/dev\.json$/.test(k)),
        `the stack's state is in the bucket: ${keys.join(", ")}`,
      );
    }
  });

  test("drift.yml: clean after up; a firewall rule and a DNS record changed by hand are named; the issue is opened, then added to; up puts them back", async () => {
    const drift = workflowStep("drift.yml", "drift", (s) => /drift\.sh/.test(s.run), secrets);
    const issue = workflowStep("drift.yml", "drift", (s) => /drift-issue\.sh/.test(s.run), secrets);
    const clean = await runStep(drift);
    assert.equal(clean.status, 0, clean.out);
    assert.match(clean.out, /drift: none on stack dev/);

    // By hand, as in the Linode console: one more inbound rule, and the A record pointed elsewhere.
    const before = world.api.requests.length;
    const fw = (await api("GET", "networking/firewalls")).data[0];
    const rules = await api("GET", `networking/firewalls/${fw.id}/rules`);
    await api("PUT", `networking/firewalls/${fw.id}/rules`, {
      ...rules,
      inbound: [...rules.inbound, { label: "by-hand", action: "ACCEPT", protocol: "TCP", ports: "8080", addresses: { ipv4: ["0.0.0.0/0"] } }],
    });
    const domain = (await api("GET", "domains")).data[0];
    const a = (await api("GET", `domains/${domain.id}/records`)).data.find((r: any) => r.type === "A" && r.name === "vpn");
    await api("PUT", `domains/${domain.id}/records/${a.id}`, { target: "203.0.113.99" });
    const handMade = world.api.requests.length - before;

    const found = await runStep(drift);
    assert.equal(found.status, 1, found.out);
    const report = readFileSync(join(dev.dir, "drift-report.md"), "utf8");
    assert.match(report, /linode:index\/firewall:Firewall \S*-fw`/, report);
    assert.match(report, /linode:index\/domainRecord:DomainRecord \S*-a`/, report);
    assert.doesNotMatch(report, /Instance|Ipv6Range|-aaaa`/, "only what was changed");
    assert.deepEqual(
      world.api.requests.slice(before + handMade).filter((q) => WRITES.has(q.method)),
      [],
      "the check only reads",
    );

    // The issue step: no open issue yet -> one is created; the next night adds to it.
    const first = await runStep(issue);
    assert.equal(first.status, 0, first.out);
    const second = await runStep(issue, { FAKE_GH_OPEN: "12" });
    assert.equal(second.status, 0, second.out);
    const calls = readFileSync(ghLog, "utf8").trim().split("\n");
    assert.deepEqual(
      calls.filter((c) => !c.startsWith("issue list")),
      ["issue create --title Drift on stack dev --body-file drift-report.md", "issue comment 12 --body-file drift-report.md"],
    );

    // `up` compares with the state, which still has the old values: --refresh reads Linode first.
    await dev.ok(["up", "--yes", "--skip-preview", "--refresh"]);
    const again = await runStep(drift);
    assert.equal(again.status, 0, again.out);
  });

  test("renew.yml: SSH restricted to the operators' addresses (the deploy runner's among them); a due certificate is renewed and pushed; SSH stays closed to everyone else", async () => {
    const host = world.instances()[0].ipv4;
    // The recommended setting: the operators' addresses only; the deploy runner (a
    // self-hosted runner, here this machine) has one of them. 0.0.0.0/0 is gone.
    await dev.ok(["config", "set", "--path", "vpn:sshAllowedCidrs[0]", OPERATOR]);
    await dev.ok(["config", "set", "--path", "vpn:sshAllowedCidrs[1]", `${RUNNER}/32`]);
    await dev.ok(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(sshSourcesNow(), [OPERATOR, `${RUNNER}/32`]);
    const elsewhere = await world.addClient(); // another address on the world's Internet
    try {
      assert.equal(await sshOpenFrom(elsewhere.name, host), false, `SSH is closed to ${elsewhere.v4}`);
      assert.equal(await sshOpen(host), true, "SSH is open to the deploy runner");
      const notAfterBefore = (await dev.outputs()).certificateNotAfter["us-ord"];
      // The certificate is due: the world's CA (Pebble) issues for years and
      // vpn:renewBeforeDays stops at 365, so the ACME resource is marked for replacement
      // instead (`pulumi state taint`: the next update replaces it, as a renewal does).
      const cert = (await dev.resources()).find((x) => x.type === "pulumi-nodejs:dynamic:Resource" && x.outputs && "notAfter" in x.outputs);
      assert.ok(cert, "the ACME certificate resource");
      await dev.ok(["state", "taint", cert.urn, "--yes"]);

      const renew = workflowStep("renew.yml", "renew", (s) => /gitops\/up\.sh/.test(s.run), secrets);
      const before = world.api.requests.length;
      const r = await runStep(renew);
      assert.equal(r.status, 0, r.out);
      const notAfterAfter = (await dev.outputs()).certificateNotAfter["us-ord"];
      assert.ok(Date.parse(notAfterAfter) > Date.parse(notAfterBefore), `renewed: ${notAfterBefore} -> ${notAfterAfter}`);
      const firewallWrites = world.api.requests.slice(before).filter((q) => WRITES.has(q.method) && q.path.includes("/networking/firewalls"));
      assert.deepEqual(firewallWrites, [], "the renewal changed no firewall");
      assert.equal(await sshOpenFrom(elsewhere.name, host), false, `SSH is still closed to ${elsewhere.v4}`);

      // The next day's run: nothing due, nothing changed.
      const quietFrom = world.api.requests.length;
      const quiet = await runStep(renew);
      assert.equal(quiet.status, 0, quiet.out);
      assert.match(quiet.out, /up: nothing to do/);
      assert.deepEqual(
        world.api.requests.slice(quietFrom).filter((q) => WRITES.has(q.method)),
        [],
        "nothing changed",
      );
      const check = workflowStep("renew.yml", "renew", (s) => /certificateNotAfter/.test(s.run), secrets);
      const c = await runStep(check);
      assert.equal(c.status, 0, c.out);
      assert.match(c.out, /us-ord: certificate valid until/);
    } finally {
      await world.removeClient(elsewhere);
    }
  });
});
