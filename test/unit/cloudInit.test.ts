// The first-boot user data that installs the stack's SSH host key (model/server/cloudInit.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { hostKeyLine, RECORD_HOST_KEY_SCRIPT, renderUserData, userDataBase64 } from "../../model/server/cloudInit";

/** A real ED25519 pair in OpenSSH format (what tls.PrivateKey ED25519 yields), from ssh-keygen when present. */
function realKey(): { privateOpenssh: string; publicOpenssh: string } {
  const dir = mkdtempSync(join(tmpdir(), "hostkey-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "comment@host", "-f", join(dir, "k")]);
    return { privateOpenssh: readFileSync(join(dir, "k"), "utf8"), publicOpenssh: readFileSync(join(dir, "k.pub"), "utf8") };
  } catch {
    // No ssh-keygen: Node's key is not OpenSSH-armoured, so build the armour around its bytes.
    const { publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const len = (n: number) => Buffer.from([0, 0, 0, n]);
    const blob = Buffer.concat([len(11), Buffer.from("ssh-ed25519"), len(32), raw]).toString("base64");
    const body = Buffer.alloc(300, 7)
      .toString("base64")
      .replace(/(.{70})/g, "$1\n");
    return {
      privateOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
      publicOpenssh: `ssh-ed25519 ${blob} comment@host\n`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KEY = realKey();

test("user data: a #cloud-config that replaces the image's host keys with exactly this one", () => {
  const text = renderUserData({ hostKey: KEY });
  assert.ok(text.startsWith("#cloud-config\n"), "cloud-init needs the #cloud-config header on line 1");
  const doc = YAML.parse(text);
  assert.equal(doc.ssh_deletekeys, true);
  assert.deepEqual(doc.ssh_genkeytypes, [], "no other host key type may be generated");
  assert.deepEqual(Object.keys(doc.ssh_keys).sort(), ["ed25519_private", "ed25519_public"]);
  assert.equal(doc.disable_root, false);
});

test("user data: the private key survives line for line, the public line loses only its comment", () => {
  const doc = YAML.parse(renderUserData({ hostKey: KEY }));
  assert.equal(doc.ssh_keys.ed25519_private, KEY.privateOpenssh);
  const [type, blob] = KEY.publicOpenssh.trim().split(" ");
  assert.equal(doc.ssh_keys.ed25519_public, `${type} ${blob}`);
  assert.equal(hostKeyLine(KEY.publicOpenssh), `${type} ${blob}`);
});

test("user data: deterministic, and the base64 round-trips", () => {
  const a = renderUserData({ hostKey: KEY });
  assert.equal(renderUserData({ hostKey: { ...KEY } }), a);
  assert.equal(Buffer.from(userDataBase64(a), "base64").toString("utf8"), a);
  assert.equal(userDataBase64(a), userDataBase64(renderUserData({ hostKey: KEY })));
});

test("user data: a missing final newline or CRLF lines give the same document", () => {
  const crlf = { ...KEY, privateOpenssh: KEY.privateOpenssh.replace(/\n/g, "\r\n") };
  const bare = { ...KEY, privateOpenssh: KEY.privateOpenssh.trimEnd() };
  assert.equal(renderUserData({ hostKey: crlf }), renderUserData({ hostKey: KEY }));
  assert.equal(renderUserData({ hostKey: bare }), renderUserData({ hostKey: KEY }));
});

test("user data: refuses material that would leave sshd without a usable key", () => {
  assert.throws(
    () => renderUserData({ hostKey: { ...KEY, privateOpenssh: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" } }),
    /OpenSSH private key/,
  );
  assert.throws(() => renderUserData({ hostKey: { ...KEY, publicOpenssh: "ssh-rsa AAAAB3 x" } }), /ed25519 public key/);
  assert.throws(() => hostKeyLine(""), /ed25519 public key/);
  assert.throws(() => hostKeyLine("ssh-ed25519 AAAA!!"), /ed25519 public key/);
});

test("trust-on-first-use step: stdout is only type and key of the ED25519 host key; sshd then offers that key only", () => {
  const lines = RECORD_HOST_KEY_SCRIPT.split("\n");
  assert.ok(lines.includes("key=/etc/ssh/ssh_host_ed25519_key"));
  assert.ok(lines.includes(`cut -d' ' -f1,2 "$key.pub"`));
  assert.match(RECORD_HOST_KEY_SCRIPT, /cloud-init status --wait >\/dev\/null/);
  assert.match(RECORD_HOST_KEY_SCRIPT, /HostKey %s\\n' "\$key" > "\$conf\.tmp"/);
  // Everything else keeps stdout clean: the step's stdout becomes the pinned key.
  for (const l of lines.filter((x) => /^(sshd|systemctl)/.test(x))) assert.match(l, />&2/, l);
});
