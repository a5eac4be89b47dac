// Who the steps talk to. A host booted from a cloud image whose real
// cloud-init reads the program's rendered user data (renderUserData, through the
// NoCloud seed as Linode Metadata hands it over) presents exactly the stack's host
// key; a host presenting another key is refused before any file is sent, while the
// same push without the pin (what @pulumi/command does without `hostKey`) hands it
// every secret; and the trust-on-first-use step records the key the host presents
// and leaves sshd offering that key only.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { run, runOk } from "../lib/exec";
import { createPki, TestPki } from "../lib/pki";
import { waitFor } from "../lib/wait";
import { hostKeyLine, RECORD_HOST_KEY_SCRIPT, renderUserData } from "../../model/server/cloudInit";
import type { RemoteStep } from "../../model/steps";
import { ensureCloudRootfs } from "../engine/world/rootfs";
import { TestHost } from "./lib/host";
import { Lab } from "./lib/lab";
import { HOSTNAME, renderFor, User } from "./lib/region";
import { createSshKey, SshKey, startSsh } from "./lib/ssh";

const log = (msg: string) => console.log(`[hosts] ${msg}`);
const alice: User = { name: "alice", password: "alice-Passw0rd-for-tests" };

interface KeyPair {
  privateOpenssh: string;
  publicOpenssh: string;
}

/** An ED25519 pair in OpenSSH format: what tls.PrivateKey ED25519 gives the program. */
async function ed25519(dir: string, name: string): Promise<KeyPair> {
  const file = join(dir, name);
  await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  return { privateOpenssh: readFileSync(file, "utf8"), publicOpenssh: readFileSync(`${file}.pub`, "utf8") };
}

/** The host keys sshd offers at address, as "type base64" lines (ssh-keyscan: all types it supports). */
async function offeredKeys(address: string): Promise<string[]> {
  const r = await run(["ssh-keyscan", "-T", "5", address], { timeoutMs: 20_000 });
  return r.stdout
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" ").slice(1, 3).join(" "))
    .sort();
}

/** The push step's files ("<mode> <path> <base64>" lines): path and content. */
function pushedFiles(push: RemoteStep): Array<{ path: string; content: Buffer }> {
  return push
    .stdin!.trimEnd()
    .split("\n")
    .map((l) => ({ path: l.split(" ")[1], content: Buffer.from(l.split(" ")[2], "base64") }));
}

/** Whether the host has this file with exactly this content (read from this side, not over SSH). */
function arrived(host: TestHost, f: { path: string; content: Buffer }): boolean {
  const p = join(host.root, f.path);
  return existsSync(p) && readFileSync(p).equals(f.content);
}

describe("SSH host key pinning on a host booted with the program's user data", { timeout: 600_000 }, () => {
  let dir: string;
  let lab: Lab;
  let key: SshKey;
  let pki: TestPki;
  let host: TestHost;
  let stackKey: KeyPair;
  let pin: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vh-hostkey-"));
    const [cloud, k, p] = await Promise.all([ensureCloudRootfs(log), createSshKey(join(dir, "ssh")), createPki(join(dir, "pki"), HOSTNAME)]);
    [key, pki] = [k, p];
    stackKey = await ed25519(dir, "stack-host-key");
    pin = hostKeyLine(stackKey.publicOpenssh);
    lab = await Lab.create(log);
    // The clone carries the image's own host keys (ssh-keygen -A, as a baked image would):
    // cloud-init must replace them with the stack's before sshd starts.
    host = await TestHost.create({
      lab,
      rootfs: { dir: cloud.dir, tarball: "", origin: cloud.origin },
      key,
      index: 0,
      libipsec: false,
      log,
      files: {
        "var/lib/cloud/seed/nocloud/meta-data": { content: "instance-id: vh-hostkey-1\nlocal-hostname: vh-a\n", mode: 0o600 },
        "var/lib/cloud/seed/nocloud/user-data": { content: renderUserData({ hostKey: stackKey }), mode: 0o600 },
      },
    });
  });

  after(async () => {
    await host?.destroy();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("cloud-init installs the stack's key before sshd starts: the host offers it and nothing else", async () => {
    // TestHost.create() already logged in once (unpinned): sshd was up, so cloud-init's init stage was done.
    assert.deepEqual(await offeredKeys(host.v4), [pin], "exactly the key from the user data, no RSA/ECDSA key of the image");
    for (const t of ["rsa", "ecdsa"]) assert.ok(!existsSync(join(host.root, `etc/ssh/ssh_host_${t}_key`)), `the image's ${t} key was deleted`);
    const wait = renderFor(host, [alice], pki).steps.find((s) => s.name === "wait-ready")!;
    const r = await startSsh(key, host.v4, wait.script, { hostKey: pin, timeoutMs: 300_000 }).done;
    assert.equal(r.code, 0, `the pinned wait-ready step (cloud-init status --wait included):\n${r.output}`);
  });

  test("a host presenting another key is refused before any file is sent; unpinned, the same push lands", async () => {
    const push = renderFor(host, [alice], pki).steps.find((s) => s.name === "push-files")!;
    const files = pushedFiles(push);
    assert.ok(files.length > 3 && !files.some((f) => arrived(host, f)), "nothing pushed yet");
    // An impostor at the server's address: same sshd, accepts the stack's client key, another host key.
    const impostor = await ed25519(dir, "impostor-host-key");
    writeFileSync(join(host.root, "etc/ssh/ssh_host_ed25519_key"), impostor.privateOpenssh, { mode: 0o600 });
    writeFileSync(join(host.root, "etc/ssh/ssh_host_ed25519_key.pub"), impostor.publicOpenssh, { mode: 0o644 });
    await host.sshOk("systemctl reload ssh");
    const other = hostKeyLine(impostor.publicOpenssh);
    await waitFor(async () => (await offeredKeys(host.v4)).join() === other, { timeoutMs: 20_000, what: "sshd to offer the impostor key" });

    const pinned = await startSsh(key, host.v4, push.script, { input: push.stdin, hostKey: pin, timeoutMs: 60_000 }).done;
    assert.equal(pinned.code, 255, `ssh must give up, not run the step:\n${pinned.output}`);
    assert.match(pinned.output, /Host key verification failed/);
    for (const f of files) assert.ok(!arrived(host, f), `${f.path} must not reach a host with another key`);
    assert.ok(!existsSync(join(host.root, "var/lib/vpn-region")), "the push step never started");

    // The same step as @pulumi/command runs it without connection.hostKey: the impostor gets it all.
    const unpinned = await startSsh(key, host.v4, push.script, { input: push.stdin, timeoutMs: 60_000 }).done;
    assert.equal(unpinned.code, 0, unpinned.output);
    assert.ok(
      files.every((f) => arrived(host, f)),
      "without the pin every file (server key, EAP secrets) arrives",
    );
  });

  test("trust on first use: the first connection records the key the host presents, then sshd offers only that one", async () => {
    // A region without Metadata: the image's own keys, all three types.
    await runOk(["sh", "-c", `rm -f "$1"/etc/ssh/ssh_host_* && ssh-keygen -A -f "$1"`, "sh", host.root]);
    await host.sshOk("systemctl reload ssh");
    const own = hostKeyLine(readFileSync(join(host.root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8"));
    await waitFor(async () => (await offeredKeys(host.v4)).length === 3 && (await offeredKeys(host.v4)).includes(own), {
      timeoutMs: 20_000,
      what: "sshd to offer the image's three keys",
    });

    const first = await startSsh(key, host.v4, RECORD_HOST_KEY_SCRIPT, { timeoutMs: 300_000 }).done;
    assert.equal(first.code, 0, first.output);
    assert.equal(first.output.trim().split("\n").length, 1, `stdout is the key line only: ${first.output}`);
    assert.equal(hostKeyLine(first.output), own, "the key the host has, as the pinned steps will expect it");
    await waitFor(async () => (await offeredKeys(host.v4)).join() === own, { timeoutMs: 20_000, what: "sshd to offer only the recorded key" });

    const later = await startSsh(key, host.v4, "true", { hostKey: hostKeyLine(first.output), timeoutMs: 60_000 }).done;
    assert.equal(later.code, 0, later.output);
    const again = await startSsh(key, host.v4, RECORD_HOST_KEY_SCRIPT, { hostKey: own, timeoutMs: 300_000 }).done;
    assert.equal(hostKeyLine(again.output), own, "re-running the step (a replaced trigger) keeps the same key and config");
  });
});
