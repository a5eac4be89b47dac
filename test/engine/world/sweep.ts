// Removes everything a world made, also after a crash: the processes it recorded
// (by PID, checked against their command line), the instances' cgroups and
// mounts, the vs- namespaces, links and /etc/netns entries, the nft table, the
// forwarding it switched on, and its state directory. Synchronous, so it also
// runs from an exit hook. Only `vs-`/`vs_` objects and the state dir are touched.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeCgroupTree } from "../../hosts/lib/lab";
import { CGROUP_ROOTS, NFT_TABLE, PREFIX } from "./addresses";

const NETNS_ETC = "/etc/netns";
/** `<pid> <command substring>` lines: the world's daemons (named, pebble, the daemon itself). */
export const PIDS_FILE = "pids";

function quiet(argv: string[]): string {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}

/** Records a process for sweep (appends to the pids file). */
export function recordPid(dir: string, pid: number | undefined, marker: string): void {
  if (pid === undefined) return;
  const file = join(dir, PIDS_FILE);
  writeFileSync(file, `${existsSync(file) ? readFileSync(file, "utf8") : ""}${pid} ${marker}\n`);
}

function killRecorded(dir: string, removed: string[]): void {
  const file = join(dir, PIDS_FILE);
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const [pidText, marker] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // gone
    }
    if (!cmd.includes(marker)) continue; // the PID was reused by someone else
    try {
      process.kill(pid, "SIGKILL");
      removed.push(`process ${pid} (${marker})`);
    } catch {
      /* gone */
    }
  }
}

export interface SweepReport {
  removed: string[];
}

/**
 * Sweeps the world that used state dir `dir`. `keep` names files in `dir` to leave
 * (the daemon's own log and pid while it starts).
 */
export function sweepWorld(dir: string, keep: string[] = []): SweepReport {
  const removed: string[] = [];
  killRecorded(dir, removed);
  for (const root of CGROUP_ROOTS) {
    if (existsSync(root)) {
      removeCgroupTree(root);
      removed.push(`cgroup ${root}`);
    }
  }
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1])
    // Under this state dir, or an instance's root of a world that used another dir.
    .filter((m) => m && (m.startsWith(`${dir}/`) || /\/instances\/vs-i\d+\/root$/.test(m)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    quiet(["umount", "-l", m]);
    removed.push(`mount ${m}`);
  }
  const netns = quiet(["ip", "netns", "list"])
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${PREFIX}-`));
  for (const ns of netns) {
    for (const pid of quiet(["ip", "netns", "pids", ns]).split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    quiet(["ip", "netns", "delete", ns]);
    removed.push(`netns ${ns}`);
  }
  if (existsSync(NETNS_ETC)) {
    for (const e of readdirSync(NETNS_ETC).filter((n) => n.startsWith(`${PREFIX}-`))) rmSync(join(NETNS_ETC, e), { recursive: true, force: true });
  }
  const links = quiet(["ip", "-o", "link", "show"])
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]);
  for (const l of links.filter((n): n is string => !!n && n.startsWith(`${PREFIX}-`))) {
    quiet(["ip", "link", "delete", l]);
    removed.push(`link ${l}`);
  }
  if (quiet(["nft", "list", "table", "inet", NFT_TABLE])) {
    quiet(["nft", "delete", "table", "inet", NFT_TABLE]);
    removed.push(`nft table inet ${NFT_TABLE}`);
  }
  const pinned = join(dir, "pinned-routes");
  if (existsSync(pinned)) {
    for (const line of readFileSync(pinned, "utf8").split("\n").filter(Boolean)) {
      quiet(["ip", "route", "delete", ...line.split(" ")]);
      removed.push(`route ${line}`);
    }
  }
  const saved = join(dir, "forwarding.saved");
  // Not while the hosts tier's lab runs: it switched the same uplink on and puts it back itself.
  if (existsSync(saved) && !existsSync("/sys/class/net/vh-br")) {
    for (const line of readFileSync(saved, "utf8").split("\n").filter(Boolean)) {
      const [path, value] = line.split(" ");
      if (existsSync(path)) writeFileSync(path, value);
    }
  }
  if (!worldOwner()) rmSync(OWNER_FILE, { force: true });
  if (existsSync(dir)) {
    for (const e of readdirSync(dir)) if (!keep.includes(e)) rmSync(join(dir, e), { recursive: true, force: true });
    if (keep.length === 0) rmSync(dir, { recursive: true, force: true });
  }
  return { removed };
}

/** Who owns the one world this machine can hold (the vs- names are fixed): "<pid> <state dir>". */
export const OWNER_FILE = "/run/vpn-local-linode-world";

/** The live owner of the world other than this process, if any. */
export function worldOwner(): { pid: number; dir: string } | undefined {
  try {
    const [pidText, ...dir] = readFileSync(OWNER_FILE, "utf8").trim().split(" ");
    const pid = Number(pidText);
    if (pid === process.pid || !Number.isInteger(pid) || pid <= 1) return undefined;
    process.kill(pid, 0);
    return { pid, dir: dir.join(" ") };
  } catch {
    return undefined; // no owner, or it is gone (crashed: its leftovers get swept)
  }
}

export function claimWorld(dir: string): void {
  writeFileSync(OWNER_FILE, `${process.pid} ${dir}\n`);
}

export function releaseWorld(): void {
  try {
    if (Number(readFileSync(OWNER_FILE, "utf8").split(" ")[0]) === process.pid) rmSync(OWNER_FILE);
  } catch {
    /* not ours or absent */
  }
}
