// The server's SSH host identity, handed to a fresh VM at first boot through the
// Linode Metadata service (user data read by cloud-init). Pure: no Pulumi, no I/O.
//
// cloud-init's cc_ssh module (https://docs.cloud-init.io/en/latest/reference/modules.html#ssh):
// `ssh_deletekeys: true` removes the host keys the image shipped or generated,
// `ssh_keys` writes the given pairs as /etc/ssh/ssh_host_<type>_key{,.pub}, and
// `ssh_genkeytypes: []` generates no other type, so sshd can only present the key the
// stack generated (and pins in every remote step). cloud-init runs this before sshd
// starts, so the first SSH connection already meets this key.
import YAML from "yaml";

export interface HostKeyMaterial {
  /** OpenSSH private key ("-----BEGIN OPENSSH PRIVATE KEY-----"), as @pulumi/tls writes it. */
  privateOpenssh: string;
  /** OpenSSH public key line, "ssh-ed25519 AAAA..." (a trailing comment or newline is dropped). */
  publicOpenssh: string;
}

const PUBLIC_RE = /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/;
const PRIVATE_RE = /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n?$/;

/**
 * The host key as an authorized-keys line without comment: "ssh-ed25519 AAAA...".
 * This exact text goes to `connection.hostKey` of every remote step (@pulumi/command
 * parses it as an OpenSSH public key line) and into the user data, so both agree.
 */
export function hostKeyLine(publicOpenssh: string): string {
  const [type, blob] = publicOpenssh.trim().split(/\s+/);
  const line = `${type} ${blob}`;
  if (!PUBLIC_RE.test(line)) throw new Error(`not an OpenSSH ed25519 public key line: ${JSON.stringify(publicOpenssh.slice(0, 40))}`);
  return line;
}

/** `#cloud-config` user data that installs exactly this ED25519 host key. Deterministic. */
export function renderUserData(opts: { hostKey: HostKeyMaterial }): string {
  const { privateOpenssh, publicOpenssh } = opts.hostKey;
  // Checked because a mangled key would leave sshd without any host key: unreachable VM.
  if (!PRIVATE_RE.test(privateOpenssh.replace(/\r\n/g, "\n"))) throw new Error("host key: not an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)");
  const privateKey = privateOpenssh.replace(/\r\n/g, "\n").replace(/\n?$/, "\n");
  const doc = {
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: { ed25519_private: privateKey, ed25519_public: hostKeyLine(publicOpenssh) },
    // The program logs in as root with the key Linode installs. cloud-init's default
    // (disable_root: true) would, on an image that keeps that default, put a
    // "log in as the default user" stub in front of root's keys.
    disable_root: false,
  };
  // lineWidth 0: never fold; the private key stays a literal block, line for line.
  return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

/** The Instance's `metadatas[0].userData`: the user data, base64 (what the Linode API takes). */
export function userDataBase64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** sshd drop-in that the trust-on-first-use step writes: sshd then offers the ED25519 key only. */
const HOST_KEY_DROP_IN = "/etc/ssh/sshd_config.d/10-vpn-host-key.conf";

/**
 * The command of the trust-on-first-use step (regions without the Metadata capability):
 * prints the server's ED25519 host public key once cloud-init (which may still be
 * generating host keys on a fresh VM) is done. Its output is pinned for every later step.
 *
 * It then makes sshd offer that key only. A client that pins one key but negotiates the
 * host key algorithm by its own preference would otherwise meet the server's ECDSA or
 * RSA key and fail the pin (Go's x/crypto/ssh does, see hashicorp/terraform issue
 * 18940); with a HostKey line sshd loads no other key (sshd_config(5), HostKey). On a
 * VM whose user data installed the key this changes nothing: it has no other key.
 */
export const RECORD_HOST_KEY_SCRIPT = [
  "#!/bin/sh",
  "# Step (regions without Linode Metadata only): print the SSH host key to pin from now on.",
  "set -eu",
  "if command -v cloud-init >/dev/null 2>&1; then timeout 900 cloud-init status --wait >/dev/null || [ $? -eq 2 ]; fi",
  "key=/etc/ssh/ssh_host_ed25519_key",
  `cut -d' ' -f1,2 "$key.pub"`,
  `conf=${HOST_KEY_DROP_IN}`,
  `printf '# Managed by Pulumi (vpn:index:VpnRegion): offer only the pinned host key.\\nHostKey %s\\n' "$key" > "$conf.tmp"`,
  `mv "$conf.tmp" "$conf"`,
  "sshd -t >&2",
  "systemctl reload ssh >&2 || systemctl reload sshd >&2",
  "",
].join("\n");
