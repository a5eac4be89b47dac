// Talking to a host the way the Pulumi program does. @pulumi/command 1.2.1's
// remote.Command dials SSH as root with the stack's ED25519 key, checks the host
// key against `connection.hostKey` when set (the program sets it on every step but
// the trust-on-first-use one; `hostKey` here: a known_hosts holding only that key,
// StrictHostKeyChecking=yes) and ignores it otherwise, opens one session, pipes
// `stdin` to it when set and sends the `create` text as a single exec request (no
// pty), which sshd runs with the user's login shell: `ssh root@HOST -- <text>` with
// the ssh client does exactly that. Output is collected; nothing is printed here (push-files' stdin holds secrets).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOk } from "../../lib/exec";
import { trackPid, untrackPid } from "../../lib/cleanup";

export interface SshKey {
  privateKeyFile: string;
  publicKey: string;
}

/** An ED25519 key pair in `dir` (what the stack's tls.PrivateKey ED25519 is). */
export async function createSshKey(dir: string): Promise<SshKey> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "id_ed25519");
  if (!existsSync(file)) await runOk(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vpn-test-hosts", "-f", file]);
  return { privateKeyFile: file, publicKey: readFileSync(`${file}.pub`, "utf8") };
}

export interface SshResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

export interface SshSession {
  pid: number;
  /** stdout and stderr interleaved, as far as received. */
  readonly output: string;
  /** Whether the ssh client has exited. */
  readonly ended: boolean;
  readonly done: Promise<SshResult>;
  /** Cuts the connection: the ssh client dies, sshd sees the TCP connection close. */
  cut(): void;
  /** Closes the command's stdin (for sessions started with holdStdin). */
  endInput(): void;
}

const SSH_OPTIONS = [
  "-o",
  "BatchMode=yes",
  "-o",
  "IdentitiesOnly=yes",
  "-o",
  "GlobalKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
  "-o",
  "ConnectTimeout=5",
  "-o",
  "ServerAliveInterval=5",
  "-o",
  "ServerAliveCountMax=4",
];

/**
 * Starts `command` on root@address; `input` (or nothing) is its stdin, which is
 * then closed, unless holdStdin keeps it open until endInput().
 */
/**
 * Host key options: pinned to `hostKey` ("ssh-ed25519 AAAA...", what the program puts in
 * `connection.hostKey`), or not checked at all. Returns a cleanup for the known_hosts file.
 */
function hostKeyOptions(address: string, hostKey: string | undefined): { options: string[]; cleanup: () => void } {
  if (hostKey === undefined) return { options: ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"], cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "vh-known-"));
  const file = join(dir, "known_hosts");
  writeFileSync(file, `${address} ${hostKey.trim()}\n`, { mode: 0o600 });
  return {
    options: ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "UpdateHostKeys=no"],
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startSsh(
  key: SshKey,
  address: string,
  command: string,
  opts: { input?: string; holdStdin?: boolean; timeoutMs?: number; hostKey?: string } = {},
): SshSession {
  const started = Date.now();
  const pin = hostKeyOptions(address, opts.hostKey);
  const child = spawn("ssh", ["-i", key.privateKeyFile, ...SSH_OPTIONS, ...pin.options, "-T", `root@${address}`, "--", command], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not start ssh");
  const pid = child.pid;
  trackPid(pid);
  let output = "";
  let ended = false;
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  const done = new Promise<SshResult>((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      untrackPid(pid);
      pin.cleanup();
      reject(err);
    });
    child.on("close", (code, signal) => {
      ended = true;
      clearTimeout(timer);
      untrackPid(pid);
      pin.cleanup();
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
  child.stdin.on("error", () => undefined);
  if (opts.holdStdin) child.stdin.write(opts.input ?? "");
  else child.stdin.end(opts.input ?? "");
  return {
    pid,
    get output() {
      return output;
    },
    get ended() {
      return ended;
    },
    done,
    cut: () => child.kill("SIGKILL"),
    endInput: () => child.stdin.end(),
  };
}
