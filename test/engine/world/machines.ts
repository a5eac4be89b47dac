// MachineBackend: every Linode Instance is a real Debian 12 host with systemd as
// PID 1, booted with systemd-nspawn from an overlayfs clone of the cloud-init image
// (rootfs.ts), its eth0 on the world bridge with the plan's IPv4 and SLAAC address.
// What the platform provides, as on Linode: the network (systemd-networkd file, like
// Linode's Network Helper), a resolver, root's authorized_keys from the request, and
// the request's user data handed to cloud-init through its NoCloud seed
// (https://cloudinit.readthedocs.io/en/latest/reference/datasources/nocloud.html),
// so cloud-init generates the SSH host keys on first boot exactly as a fresh image
// does, or installs the ones the user data carries (cc_ssh `ssh_keys`).
// Like test/hosts/lib/host.ts, each instance runs in its own cgroup (this machine
// has no systemd to give it one); destroy() kills exactly that cgroup's processes.
// A reboot from inside (`systemctl reboot`, as the install step does after an
// update that asks for one) brings the instance back, as on Linode: the container
// ends with systemd-nspawn's reboot status and is booted again from the same disk.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runOk } from "../../lib/exec";
import { GiveUp, waitFor } from "../../lib/wait";
import { cgroupPids, removeCgroupTree } from "../../hosts/lib/lab";
import { nspawnBootArgv, TEST_ONLY_LIBIPSEC } from "../../hosts/lib/host";
import type { InstanceSpec, MachineBackend } from "./api/backends";
import { BRIDGE, CGROUP_ROOTS, NET, instanceName } from "./addresses";
import type { WorldNetwork } from "./network";

export interface MachineInfo {
  id: number;
  name: string;
  label: string;
  ipv4: string;
  ipv6: string;
  status: "booting" | "running" | "stopped";
  ranges: string[];
  /** ms from create() to sshd listening */
  bootMs?: number;
}

/** A hostname from a Linode label (letters, digits, "-", "_", "."): what cloud-init would set. */
function hostnameOf(label: string): string {
  const h = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return h || "localhost";
}

/** Whether a process of the network namespace of `pid` listens on TCP `port` (read from /proc, no connection: the firewall is not in the way). */
function listensOn(pid: number, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const f of ["tcp", "tcp6"]) {
    try {
      const rows = readFileSync(`/proc/${pid}/net/${f}`, "utf8").split("\n").slice(1);
      if (
        rows.some((r) => {
          const cols = r.trim().split(/\s+/);
          return cols[1]?.endsWith(hex) && cols[3] === "0A";
        })
      )
        return true;
    } catch {
      /* process gone */
    }
  }
  return false;
}

/**
 * systemd-nspawn's exit status when the container asked for a reboot: systemd's own
 * systemd-nspawn@.service boots the container again on it (RestartForceExitStatus=133).
 */
const NSPAWN_REBOOT_STATUS = 133;

export class Instance {
  readonly name: string;
  readonly dir: string;
  readonly root: string;
  status: MachineInfo["status"] = "booting";
  bootMs: number | undefined;
  readonly ranges = new Set<string>();
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private destroying = false;
  /** Reboots asked for from inside, each followed by a new boot. */
  reboots = 0;

  constructor(
    readonly spec: InstanceSpec,
    private readonly o: { rootfsDir: string; stateDir: string; resolvers: string[]; log: (m: string) => void },
  ) {
    this.name = instanceName(spec.id);
    this.dir = join(o.stateDir, "instances", this.name);
    this.root = join(this.dir, "root");
  }

  private cgroups(): string[] {
    return CGROUP_ROOTS.map((r) => join(r, this.name));
  }

  private put(path: string, text: string, mode = 0o644): void {
    const p = join(this.root, path);
    mkdirSync(join(p, ".."), { recursive: true });
    rmSync(p, { force: true });
    writeFileSync(p, text, { mode });
  }

  async prepare(): Promise<void> {
    const upper = join(this.dir, "upper");
    const work = join(this.dir, "work");
    for (const d of [upper, work, this.root]) mkdirSync(d, { recursive: true });
    await runOk(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${this.o.rootfsDir},upperdir=${upper},workdir=${work}`, this.root]);
    const s = this.spec;
    const host = hostnameOf(s.label);
    this.put("etc/hostname", `${host}\n`);
    this.put("etc/hosts", `127.0.0.1 localhost\n127.0.1.1 ${host}\n::1 localhost ip6-localhost ip6-loopback\n`);
    this.put("etc/resolv.conf", this.o.resolvers.map((r) => `nameserver ${r}\n`).join(""));
    this.put(
      "etc/systemd/network/05-eth0.network",
      [
        "[Match]",
        "Name=eth0",
        "",
        "[Network]",
        `Address=${s.ipv4}/${NET.v4Prefix}`,
        `Gateway=${NET.gatewayV4}`,
        `Address=${s.ipv6Slaac}/${NET.v6Prefix}`,
        `Gateway=${NET.upstreamV6}`,
        "IPv6AcceptRA=no",
        "",
      ].join("\n"),
    );
    mkdirSync(join(this.root, "root/.ssh"), { recursive: true, mode: 0o700 });
    this.put("root/.ssh/authorized_keys", s.authorizedKeys.map((k) => `${k.trim()}\n`).join(""), 0o600);
    // The NoCloud seed: meta-data (instance id, hostname) and the request's user data, verbatim.
    this.put("var/lib/cloud/seed/nocloud/meta-data", `instance-id: linode-${s.id}\nlocal-hostname: ${host}\n`, 0o600);
    this.put("var/lib/cloud/seed/nocloud/user-data", s.userData ?? "", 0o600);
    this.put(TEST_ONLY_LIBIPSEC, "# Test harness only: this kernel has no ESP, so charon does ESP in userspace.\nkernel-libipsec {\n  load = yes\n}\n");
    this.o.log(
      `test-only (${this.name}): this kernel has no ESP: kernel-libipsec enabled by ${TEST_ONLY_LIBIPSEC} and /dev/net/tun bound in (not a rendered file)`,
    );
  }

  /** Boots the clone and waits until sshd listens (cloud-init has run by then: sshd is ordered after it). */
  async boot(): Promise<void> {
    const started = Date.now();
    for (const cg of this.cgroups()) {
      removeCgroupTree(cg);
      mkdirSync(cg, { recursive: true });
    }
    const argv = nspawnBootArgv(this.root, this.name, ["--bind=/dev/net/tun"]);
    // The shell moves itself into the instance's cgroups, then becomes systemd-nspawn.
    const enter = this.cgroups()
      .map((cg) => `echo $$ > ${cg}/cgroup.procs`)
      .join("; ");
    const log = openSync(join(this.dir, "console.log"), "a");
    const child = spawn("sh", ["-c", `${enter}; exec systemd-nspawn "$@"`, "sh", ...argv], { stdio: ["ignore", log, log] });
    closeSync(log);
    this.proc = child;
    this.exited = new Promise((resolve) => child.on("exit", () => resolve()));
    child.on("exit", (code) => {
      if (code === NSPAWN_REBOOT_STATUS && !this.destroying) this.rebooted();
    });
    const alive = () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new GiveUp(`${this.name} stopped (${child.exitCode ?? child.signalCode}): ${this.consoleTail()}`);
    };
    await waitFor(() => (alive(), existsSync(`/sys/class/net/${this.name}`)), { timeoutMs: 20_000, what: `${this.name}'s veth` });
    await runOk(["ip", "link", "set", this.name, "master", BRIDGE, "up"]);
    const ownNet = readlinkSync("/proc/self/ns/net");
    await waitFor(
      () => {
        alive();
        const inner = this.pids().find((pid) => {
          try {
            return readlinkSync(`/proc/${pid}/ns/net`) !== ownNet;
          } catch {
            return false;
          }
        });
        return inner !== undefined && listensOn(inner, 22);
      },
      { timeoutMs: 120_000, intervalMs: 100, what: `sshd on ${this.name} (${this.spec.label})` },
    );
    this.bootMs = Date.now() - started;
    this.status = "running";
  }

  pids(): number[] {
    return cgroupPids(this.cgroups()[1]);
  }

  /** The host rebooted itself: boot the same clone again (its veth went with the old nspawn). */
  private rebooted(): void {
    this.reboots++;
    this.status = "booting";
    this.o.log(`world: ${this.name} (${this.spec.label}) rebooted from inside: booting it again`);
    this.boot().then(
      () => this.o.log(`world: ${this.name} back after its reboot (sshd after ${this.bootMs} ms)`),
      (err) => {
        this.status = "stopped";
        this.o.log(`world: ${this.name} did not come back after its reboot: ${(err as Error).message}`);
      },
    );
  }

  consoleTail(): string {
    try {
      return readFileSync(join(this.dir, "console.log"), "utf8").slice(-2000);
    } catch {
      return "";
    }
  }

  /** Orderly power-off (SIGTERM to nspawn), then kill what remains and remove every trace. */
  async destroy(): Promise<void> {
    this.destroying = true;
    const child = this.proc;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([this.exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 20_000)))]);
      clearTimeout(timer);
      if (!done) child.kill("SIGKILL");
    }
    this.destroyNow();
    await run(["ip", "link", "delete", this.name]);
    this.status = "stopped";
  }

  /** Synchronous part of destroy() (also for the exit hook): cgroups and their processes, mount, files. */
  destroyNow(): void {
    this.destroying = true;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    for (const cg of this.cgroups()) removeCgroupTree(cg);
    for (const args of [[this.root], ["-l", this.root]]) {
      try {
        execFileSync("umount", args, { stdio: "ignore" });
        break;
      } catch {
        /* not mounted (or busy: lazy next) */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Machines implements MachineBackend {
  private readonly all = new Map<number, Instance>();

  constructor(
    private readonly o: {
      rootfsDir: string;
      stateDir: string;
      resolvers: string[];
      network: WorldNetwork;
      log: (m: string) => void;
      onChange?: () => void;
      reserved?: string[];
    },
  ) {}

  async create(spec: InstanceSpec): Promise<void> {
    if (this.all.has(spec.id)) throw new Error(`instance ${spec.id} exists already`);
    if (this.o.reserved?.includes(spec.ipv4))
      throw new Error(`instance ${spec.id}: ${spec.ipv4} is this machine's mirror/resolver address; the world cannot give it to an instance`);
    const inst = new Instance(spec, this.o);
    this.all.set(spec.id, inst);
    this.o.onChange?.();
    try {
      await inst.prepare();
      await inst.boot();
    } catch (err) {
      this.o.log(`world: instance ${spec.id} (${spec.label}) failed to boot: ${(err as Error).message}`);
      throw err;
    } finally {
      this.o.onChange?.();
    }
    this.o.log(`world: instance ${spec.id} ${spec.label} ${spec.ipv4} ${spec.ipv6Slaac} running (sshd after ${inst.bootMs} ms)`);
  }

  async destroy(id: number): Promise<void> {
    const inst = this.all.get(id);
    if (!inst) return;
    for (const r of inst.ranges) await this.o.network.unrouteRange(r);
    await inst.destroy();
    this.all.delete(id);
    this.o.onChange?.();
    this.o.log(`world: instance ${id} ${inst.spec.label} destroyed`);
  }

  async routeRange(id: number, range: string): Promise<void> {
    const inst = this.all.get(id);
    if (!inst) throw new Error(`routeRange: no instance ${id}`);
    const prefixed = range.includes("/") ? range : `${range}/64`;
    await this.o.network.routeRange(prefixed, inst.spec.ipv6Slaac);
    inst.ranges.add(prefixed);
    this.o.onChange?.();
  }

  async unrouteRange(range: string): Promise<void> {
    const prefixed = range.includes("/") ? range : `${range}/64`;
    await this.o.network.unrouteRange(prefixed);
    for (const inst of this.all.values()) inst.ranges.delete(prefixed);
    this.o.onChange?.();
  }

  get(id: number): Instance | undefined {
    return this.all.get(id);
  }

  list(): MachineInfo[] {
    return [...this.all.values()].map((i) => ({
      id: i.spec.id,
      name: i.name,
      label: i.spec.label,
      ipv4: i.spec.ipv4,
      ipv6: i.spec.ipv6Slaac,
      status: i.status,
      ranges: [...i.ranges],
      bootMs: i.bootMs,
    }));
  }

  async destroyAll(): Promise<void> {
    for (const id of [...this.all.keys()]) await this.destroy(id);
  }

  destroyAllNow(): void {
    for (const i of this.all.values()) i.destroyNow();
  }
}
