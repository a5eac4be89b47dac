// One disposable Debian 12 host: an overlayfs clone of the cached rootfs booted
// with systemd-nspawn (systemd as PID 1, its own network namespace, eth0 on the
// lab bridge), reached over SSH as root with a key, like a fresh cloud VM.
// Each host runs in its own cgroup (this machine has no systemd to give it one);
// destroy() and the exit hook kill exactly that cgroup's processes.
// With `vm`, the clone (plus Debian's kernel) becomes the disk of a qemu VM
// instead, its NIC a tap on the same bridge.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { run, runOk } from "../../lib/exec";
import { trackPid, untrackPid } from "../../lib/cleanup";
import { GiveUp, waitFor } from "../../lib/wait";
import { BRIDGE, CGROUP_ROOTS, cgroupPids, Lab, NET, RUN_DIR, removeCgroupTree } from "./lab";
import type { Rootfs } from "./rootfs";
import { atExit } from "./exit";
import { SshKey, SshResult, SshSession, startSsh } from "./ssh";
import type { VmImage } from "./vm";

/** strongSwan fragment the harness adds when this kernel has no ESP. Not a rendered file. */
export const TEST_ONLY_LIBIPSEC = "/etc/strongswan.d/charon/zz-test-only-kernel-libipsec.conf";

/**
 * systemd-nspawn arguments that boot `root` as a disposable host `name`: systemd as
 * PID 1, its own network namespace with eth0 as the host-side veth `name`, nothing of
 * this machine's registration, resolver, time zone or journal (see test-hosts.md).
 * Also used by the engine tier's Linode instances.
 */
export function nspawnBootArgv(root: string, name: string, extra: string[] = []): string[] {
  return [
    "-q",
    "-D",
    root,
    "-M",
    name,
    "-b",
    "--register=no",
    "--keep-unit",
    "--private-network",
    `--network-veth-extra=${name}:eth0`,
    "--resolv-conf=off",
    "--timezone=off",
    "--link-journal=no",
    "--console=read-only",
    ...extra,
  ];
}

export interface HostOptions {
  lab: Lab;
  rootfs: Rootfs;
  key: SshKey;
  /** 0-based; picks the addresses. */
  index: number;
  /** Userspace ESP on the host (the kernel has none). */
  libipsec: boolean;
  /** Boot a qemu VM with Debian's kernel from this image instead of a container. */
  vm?: VmImage;
  /** Extra files put into the clone before its first boot (e.g. a cloud-init seed), path relative to /. */
  files?: Record<string, { content: string | Buffer; mode: number }>;
  log: (msg: string) => void;
}

/** Whether a TCP connection to address:port is accepted within timeoutMs. */
export function tcpOpen(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("connect", () => done(true));
    sock.on("error", () => done(false));
  });
}

/** The promise's value, or "timeout" after ms (the timer is cleared either way, so it keeps no test process alive). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class TestHost {
  readonly name: string;
  readonly index: number;
  readonly v4: string;
  readonly v6: string;
  /** The routed /64 (renderRegion's ipv6Range). */
  readonly routedV6: string;
  readonly dir: string;
  readonly root: string;
  /** systemd-nspawn, or qemu for a VM. */
  private proc: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private boots = 0;
  private forgetExitHook: () => void = () => undefined;

  private constructor(private readonly o: HostOptions) {
    this.index = o.index;
    this.name = `vh-${String.fromCharCode(97 + o.index)}`;
    this.v4 = NET.hostV4(o.index);
    this.v6 = NET.hostV6(o.index);
    this.routedV6 = NET.routedV6(o.index);
    this.dir = join(RUN_DIR, this.name);
    this.root = join(this.dir, "root");
  }

  /** Clones the rootfs, boots it and waits until root can log in over SSH. */
  static async create(o: HostOptions): Promise<TestHost> {
    const h = new TestHost(o);
    h.forgetExitHook = atExit(() => h.destroyNow());
    try {
      await h.prepare();
      await h.boot();
    } catch (err) {
      await h.destroy();
      throw err;
    }
    return h;
  }

  private async prepare(): Promise<void> {
    const upper = join(this.dir, "upper");
    const work = join(this.dir, "work");
    for (const d of [upper, work, this.root]) mkdirSync(d, { recursive: true });
    const lower = this.o.vm?.dir ?? this.o.rootfs.dir;
    await runOk(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${lower},upperdir=${upper},workdir=${work}`, this.root]);
    const put = (path: string, text: string | Buffer, mode = 0o644) => {
      const p = join(this.root, path);
      mkdirSync(join(p, ".."), { recursive: true });
      rmSync(p, { force: true });
      writeFileSync(p, text, { mode });
    };
    // What a cloud VM gets from its provider: name, address, resolver, root's key.
    put("etc/hostname", `${this.name}\n`);
    put("etc/hosts", `127.0.0.1 localhost\n127.0.1.1 ${this.name}\n::1 localhost ip6-localhost ip6-loopback\n`);
    put("etc/resolv.conf", this.o.lab.resolvers.map((r) => `nameserver ${r}\n`).join(""));
    put(
      "etc/systemd/network/10-eth0.network",
      [
        "[Match]",
        "Name=eth0",
        "",
        "[Network]",
        `Address=${this.v4}/${NET.v4Prefix}`,
        `Gateway=${NET.gatewayV4}`,
        `Address=${this.v6}/${NET.v6Prefix}`,
        `Gateway=${NET.upstreamV6}`,
        "IPv6AcceptRA=no",
        "",
      ].join("\n"),
    );
    await runOk(["ssh-keygen", "-A", "-f", this.root]);
    mkdirSync(join(this.root, "root/.ssh"), { recursive: true, mode: 0o700 });
    put("root/.ssh/authorized_keys", this.o.key.publicKey, 0o600);
    for (const [path, f] of Object.entries(this.o.files ?? {})) put(path, f.content, f.mode);
    // Test-only: apt's daily timers start at a random time; one firing mid-test would make
    // the idempotence checks racy. The dpkg-lock test holds the lock on purpose instead.
    for (const t of ["apt-daily.timer", "apt-daily-upgrade.timer"]) rmSync(join(this.root, "etc/systemd/system/timers.target.wants", t), { force: true });
    this.o.log(`test-only (${this.name}): apt-daily timers off (random start times); the dpkg-lock test stands in for them`);
    if (this.o.libipsec) {
      put(TEST_ONLY_LIBIPSEC, "# Test harness only: this kernel has no ESP, so charon does ESP in userspace.\nkernel-libipsec {\n  load = yes\n}\n");
      this.o.log(
        `test-only (${this.name}): this kernel has no ESP: kernel-libipsec enabled by ${TEST_ONLY_LIBIPSEC} and /dev/net/tun bound in (not a rendered file)`,
      );
    }
    if (this.o.vm) await runOk(["mkfs.ext4", "-q", "-F", "-d", this.root, "-L", "root", join(this.dir, "disk.img"), "3G"], { timeoutMs: 120_000 });
  }

  private cgroups(): string[] {
    return CGROUP_ROOTS.map((r) => join(r, this.name));
  }

  /** Boots the clone (again) and waits for SSH. Returns the time from start to SSH in ms. */
  async boot(): Promise<number> {
    const started = Date.now();
    const child = this.o.vm ? await this.startVm(this.o.vm) : await this.startContainer();
    this.proc = child;
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    const alive = () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new GiveUp(`${this.name} stopped (${child.exitCode ?? child.signalCode}): ${this.consoleTail()}`);
    };
    await waitFor(
      async () => {
        alive();
        // A cheap port probe first: ssh against a host whose eth0 is not up yet waits for ARP.
        if (!(await tcpOpen(this.v4, 22, 300))) return false;
        const r = await this.ssh("true", { timeoutMs: 10_000 });
        return r.code === 0;
      },
      // qemu without KVM needs ~20 s here to boot, more on a busy machine.
      { timeoutMs: this.o.vm ? 300_000 : 60_000, intervalMs: 200, what: `SSH on ${this.name}` },
    );
    return Date.now() - started;
  }

  private consoleLog(): string {
    return join(this.dir, `console-${this.boots}.log`);
  }

  /** qemu (TCG) with the clone's disk, Debian's kernel, a tap on the lab bridge. */
  private async startVm(vm: VmImage): Promise<ChildProcess> {
    this.boots++;
    await runOk(["ip", "tuntap", "add", "dev", this.name, "mode", "tap"]);
    await runOk(["ip", "link", "set", this.name, "master", BRIDGE, "up"]);
    const argv = [
      "-accel",
      "tcg,thread=multi",
      "-cpu",
      "max",
      "-smp",
      "2",
      "-m",
      "1024",
      "-machine",
      "pc",
      "-nodefaults",
      "-display",
      "none",
      "-kernel",
      vm.kernel,
      "-initrd",
      vm.initrd,
      "-append",
      "root=/dev/vda rw console=ttyS0 net.ifnames=0",
      "-drive",
      `file=${join(this.dir, "disk.img")},format=raw,if=virtio`,
      "-netdev",
      `tap,id=n0,ifname=${this.name},script=no,downscript=no`,
      "-device",
      "virtio-net-pci,netdev=n0,romfile=",
      "-serial",
      `file:${this.consoleLog()}`,
    ];
    const log = openSync(join(this.dir, "qemu.log"), "a");
    const child = spawn("qemu-system-x86_64", argv, { stdio: ["ignore", log, log] });
    closeSync(log);
    if (child.pid !== undefined) trackPid(child.pid);
    return child;
  }

  private async startContainer(): Promise<ChildProcess> {
    for (const cg of this.cgroups()) {
      removeCgroupTree(cg);
      mkdirSync(cg, { recursive: true });
    }
    const argv = nspawnBootArgv(this.root, this.name, this.o.libipsec ? ["--bind=/dev/net/tun"] : []);
    // The shell moves itself into the host's cgroups, then becomes systemd-nspawn.
    const enter = this.cgroups()
      .map((cg) => `echo $$ > ${cg}/cgroup.procs`)
      .join("; ");
    this.boots++;
    const log = openSync(this.consoleLog(), "a");
    const child = spawn("sh", ["-c", `${enter}; exec systemd-nspawn "$@"`, "sh", ...argv], { stdio: ["ignore", log, log] });
    closeSync(log);
    await waitFor(
      () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`systemd-nspawn for ${this.name} exited: ${this.consoleTail()}`);
        return existsSync(`/sys/class/net/${this.name}`);
      },
      { timeoutMs: 20_000, what: `${this.name}'s veth` },
    );
    await runOk(["ip", "link", "set", this.name, "master", BRIDGE, "up"]);
    return child;
  }

  private consoleTail(): string {
    try {
      const qemu = this.o.vm && existsSync(join(this.dir, "qemu.log")) ? `qemu: ${readFileSync(join(this.dir, "qemu.log"), "utf8").slice(-1000)}\n` : "";
      return qemu + readFileSync(this.consoleLog(), "utf8").slice(-2000);
    } catch {
      return "";
    }
  }

  /** `hostKey`: pinned ("ssh-ed25519 AAAA...", as the program's steps connect), else not checked. */
  start(command: string, opts: { input?: string; holdStdin?: boolean; timeoutMs?: number; hostKey?: string } = {}): SshSession {
    return startSsh(this.o.key, this.v4, command, opts);
  }

  ssh(command: string, opts: { input?: string; timeoutMs?: number; hostKey?: string } = {}): Promise<SshResult> {
    return this.start(command, opts).done;
  }

  /** Like ssh(), but throws unless the command exits 0. Returns its output. */
  async sshOk(command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.ssh(command, opts);
    if (r.code !== 0) throw new Error(`on ${this.name}: \`${command.slice(0, 200)}\` failed (${r.signal ?? `exit ${r.code}`}): ${r.output.slice(-3000)}`);
    return r.output;
  }

  /** PIDs (in this machine's namespace) of every process of the host. */
  pids(): number[] {
    return cgroupPids(this.cgroups()[1]);
  }

  /** Command lines of the host's processes (read from this side: cheap enough to poll fast). */
  processes(): string[] {
    return this.processTable().map((p) => p.cmd);
  }

  /**
   * SIGKILLs a process of the host and all its descendants (found through /proc on
   * this side). The tree is frozen with SIGSTOP first, so nothing forks or gets
   * re-parented while it is collected.
   */
  killTree(rootPid: number): void {
    const parentOf = (pid: number) => {
      try {
        return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
      } catch {
        return -1;
      }
    };
    const signal = (pid: number, sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch {
        /* exited */
      }
    };
    const tree = new Set([rootPid]);
    for (let size = 0; size !== tree.size;) {
      size = tree.size;
      for (const pid of tree) signal(pid, "SIGSTOP");
      for (const pid of this.pids()) if (tree.has(parentOf(pid))) tree.add(pid);
    }
    for (const pid of tree) signal(pid, "SIGKILL");
  }

  /** PID and command line of each of the host's processes. */
  processTable(): Array<{ pid: number; cmd: string }> {
    return this.pids().flatMap((pid) => {
      try {
        return [{ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim() }];
      } catch {
        return [];
      }
    });
  }

  /** `systemctl reboot` inside, then boots the same disk again (a VM's reboot). Returns ms until SSH is back. */
  async reboot(): Promise<number> {
    if (this.o.vm) throw new Error("reboot() is implemented for containers only (qemu reboots in place)");
    const started = Date.now();
    const r = await this.ssh("systemctl reboot", { timeoutMs: 15_000 });
    // 255: the connection went down with the host, which is fine.
    if (r.code !== 0 && r.code !== 255) throw new Error(`systemctl reboot on ${this.name} failed (${r.signal ?? `exit ${r.code}`}): ${r.output}`);
    const code = await within(this.exited, 60_000);
    if (code === "timeout")
      throw new Error(`${this.name} did not go down within 60 s of systemctl reboot (ssh: exit ${r.code}: ${r.output}); console:\n${this.consoleTail()}`);
    await this.boot();
    return Date.now() - started;
  }

  /**
   * Powers the host off (SIGTERM to nspawn is an orderly shutdown; to qemu, pulling
   * the plug), kills what remains, removes the clone.
   */
  async destroy(): Promise<void> {
    const child = this.proc;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      if ((await within(this.exited, 20_000)) === "timeout") child.kill("SIGKILL");
    }
    this.destroyNow();
    await run(["ip", "link", "delete", this.name]);
  }

  /** Synchronous part of destroy(): cgroups (and their processes), mount, files. */
  destroyNow(): void {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    if (this.proc?.pid !== undefined) untrackPid(this.proc.pid);
    for (const cg of this.cgroups()) removeCgroupTree(cg);
    try {
      execFileSync("umount", [this.root], { stdio: "ignore" });
    } catch {
      try {
        execFileSync("umount", ["-l", this.root], { stdio: "ignore" });
      } catch {
        /* not mounted */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.forgetExitHook();
  }
}
