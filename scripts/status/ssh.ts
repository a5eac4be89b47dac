// Running the status script on a region's server with the OpenSSH client, as
// root with the stack's key, trusting exactly the pinned host key: a private
// known_hosts with that one key, StrictHostKeyChecking=yes, no global known_hosts,
// no ssh_config (-F /dev/null: nothing can turn checking off or add a proxy).
// A server presenting another key is refused by ssh itself before any command
// runs; there is no fallback. The private key lives 0600 in a 0700 temp dir that
// is removed afterwards (also on exit). ssh_config(5), ssh(1).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One region's entry of the secret stack output `servers` (INTERFACES.md). */
export interface ServerAccess {
  hostname?: string;
  /** Public IPv4 address. */
  host: string;
  user: string;
  /** OpenSSH private key (PEM) of the SSH client key. */
  privateKey: string;
  /** The pinned host key, "ssh-ed25519 AAAA...". */
  hostKey: string;
}

export type RemoteResult = { ok: true; stdout: string; stderr: string; code: number | null } | { ok: false; reason: string; hostKeyRefused: boolean };

export interface RemoteOptions {
  /** ssh's ConnectTimeout, seconds (default 10). */
  connectTimeoutSeconds?: number;
  /** The whole run, ms (default 90 s); ssh is killed after it. */
  timeoutMs?: number;
  /** Port (default 22). */
  port?: number;
  /** Piped to the remote command (secrets go here, never on its command line); default none. */
  stdin?: string;
}

const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) ([A-Za-z0-9+/]+={0,2})(?: [^\n]*)?$/;

/** "ssh-ed25519 AAAA... [comment]" -> type and base64 blob; throws naming the field when it is anything else (one line, one key). */
export function parseHostKey(line: string, field: string): { type: string; blob: string } {
  const m = HOST_KEY.exec(line.trim());
  if (!m) throw new Error(`${field} is not an OpenSSH public key line ("ssh-ed25519 AAAA...")`);
  return { type: m[1], blob: m[2] };
}

/** OpenSSH's SHA256 fingerprint of a public key ("SHA256:..." as ssh-keygen -l prints it). */
export function fingerprint(blob: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "")}`;
}

const liveDirs = new Set<string>();
let exitHooked = false;
function privateDir(): string {
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", () => {
      for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "vpn-status-")); // mkdtemp makes it 0700
  liveDirs.add(dir);
  return dir;
}

/** What ssh's stderr says went wrong, as one line for the report. */
export function classifySshFailure(stderr: string, code: number | null, access: ServerAccess, pinned: string): { reason: string; hostKeyRefused: boolean } {
  const text = stderr.replace(/\r/g, "");
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|no matching host key type/i.test(text)) {
    return {
      hostKeyRefused: true,
      reason: `host key mismatch: ${access.host} did not present the pinned host key ${pinned}; refused, nothing was run (if the server was rebuilt outside Pulumi, check it before trusting it)`,
    };
  }
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^@+$|^Warning: Permanently added/.test(l))
    .pop();
  if (/Permission denied/i.test(text))
    return { hostKeyRefused: false, reason: `SSH login as ${access.user} with the stack's key refused by ${access.host} (${line})` };
  return { hostKeyRefused: false, reason: `cannot reach ${access.host} over SSH: ${line ?? `ssh exited with ${code}`}` };
}

/** Runs `script` as the SSH command on the server. Never throws for a remote failure: it is a result. */
export function runRemote(access: ServerAccess, script: string, opts: RemoteOptions = {}): Promise<RemoteResult> {
  const key = parseHostKey(access.hostKey, "hostKey");
  const pinned = fingerprint(key.blob);
  const dir = privateDir();
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  try {
    const idFile = join(dir, "id");
    const knownHosts = join(dir, "known_hosts");
    writeFileSync(idFile, access.privateKey.endsWith("\n") ? access.privateKey : `${access.privateKey}\n`, { mode: 0o600 });
    // HostKeyAlias: the entry is looked up by this name, independent of how the address is spelled.
    const alias = "vpn-status-pinned";
    writeFileSync(knownHosts, `${alias} ${key.type} ${key.blob}\n`, { mode: 0o600 });
    const args = [
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      `HostKeyAlias=${alias}`,
      "-o",
      `HostKeyAlgorithms=${key.type}`,
      "-o",
      "UpdateHostKeys=no",
      "-o",
      "CheckHostIP=no",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "IdentityAgent=none",
      "-o",
      `IdentityFile=${idFile}`,
      "-o",
      "PasswordAuthentication=no",
      "-o",
      "KbdInteractiveAuthentication=no",
      "-o",
      `ConnectTimeout=${opts.connectTimeoutSeconds ?? 10}`,
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-o",
      "LogLevel=ERROR",
      "-p",
      String(opts.port ?? 22),
      "-T",
      "--",
      `${access.user}@${access.host}`,
      script,
    ];
    const child = spawn("ssh", args, { stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (opts.stdin !== undefined) {
      child.stdin!.on("error", () => undefined); // ssh gone early: its exit status says why
      child.stdin!.end(opts.stdin);
    }
    return new Promise<RemoteResult>((resolve) => {
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, opts.timeoutMs ?? 90_000);
      child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (err) => {
        clearTimeout(timer);
        cleanup();
        const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
        resolve({ ok: false, hostKeyRefused: false, reason: missing ? "the OpenSSH client (ssh) is not installed" : `cannot start ssh: ${err.message}` });
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        cleanup();
        if (timedOut)
          resolve({
            ok: false,
            hostKeyRefused: false,
            reason: `no complete answer from ${access.host} within ${Math.round((opts.timeoutMs ?? 90_000) / 1000)} s`,
          });
        // 255: ssh's own failure (connection, host key, login); anything else is the script's exit.
        else if (code === 255) resolve({ ok: false, ...classifySshFailure(stderr, code, access, pinned) });
        else resolve({ ok: true, stdout, stderr, code });
      });
    });
  } catch (err) {
    cleanup();
    throw err;
  }
}
