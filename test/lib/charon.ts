// Starting one charon (charon-systemd, which writes no pid file and needs no
// systemd) inside a namespace, with a private strongswan.conf and vici socket.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inNs } from "./exec";
import type { EspBackend } from "./esp";
import { Daemon, startDaemon } from "./procs";
import { swanctl, SwanctlEnv } from "./swanctl";
import { GiveUp, waitFor } from "./wait";

export const CHARON = "/usr/sbin/charon-systemd";

/** Debian's plugin list (every plugin's `load` setting), as /etc/strongswan.conf includes it. */
const DEBIAN_PLUGIN_CONF = "/etc/strongswan.d/charon/*.conf";

export interface CharonConfOptions {
  dir: string;
  esp: EspBackend;
  /** Files included after Debian's plugin list (e.g. the rendered zz-vpn.conf). */
  includes?: string[];
  /** Extra text inside charon.plugins { } (test plumbing). */
  pluginExtra?: string;
  /** filelog levels, e.g. "default = 1" or "default = 1\n ike = 2". */
  logLevels?: string;
}

/** Writes <dir>/strongswan.conf and returns the swanctl environment for it. */
export function writeCharonConf(o: CharonConfOptions): SwanctlEnv & { vici: string; log: string } {
  const vici = join(o.dir, "charon.vici");
  const log = join(o.dir, "charon.log");
  const conf = join(o.dir, "strongswan.conf");
  const text = [
    "# Test plumbing only: Debian's plugin defaults, the included (rendered) fragments,",
    "# a private vici socket and log file, and kernel-libipsec where the kernel has no ESP.",
    "charon {",
    "  load_modular = yes",
    "  plugins {",
    `    include ${DEBIAN_PLUGIN_CONF}`,
    "  }",
    "}",
    ...(o.includes ?? []).map((f) => `include ${f}`),
    "charon {",
    "  plugins {",
    `    vici {\n      socket = unix://${vici}\n    }`,
    ...(o.esp === "libipsec" ? ["    kernel-libipsec {\n      load = yes\n    }"] : []),
    ...(o.pluginExtra ? [o.pluginExtra] : []),
    "  }",
    "}",
    "charon-systemd {",
    "  filelog {",
    "    test {",
    `      path = ${log}`,
    "      time_format = %T",
    "      ike_name = yes",
    "      flush_line = yes",
    `      ${o.logLevels ?? "default = 1"}`,
    "    }",
    "  }",
    "}",
    "swanctl {",
    `  socket = unix://${vici}`,
    "}",
    "",
  ].join("\n");
  writeFileSync(conf, text);
  return { strongswanConf: conf, swanctlDir: join(o.dir, "swanctl"), vici, log };
}

/**
 * Starts charon in `ns` and waits until its vici socket answers. `setup` is a
 * shell snippet run first in the same (private, per `ip netns exec`) mount
 * namespace, before exec'ing charon, so the PID stays charon's.
 */
export async function startCharon(ns: string, env: SwanctlEnv, timeoutMs = 15_000, setup?: string): Promise<Daemon> {
  const cmd = ["env", `STRONGSWAN_CONF=${env.strongswanConf}`, CHARON];
  const argv = setup ? inNs(ns, ["sh", "-c", `${setup} && exec "$@"`, "sh", ...cmd]) : inNs(ns, cmd);
  const d = startDaemon(argv, { logFile: join(env.swanctlDir, "..", "charon.stdout") });
  try {
    await waitFor(
      async () => {
        if (!d.running) throw new GiveUp(`charon in ${ns} exited (${d.exitStatus})`);
        return (await swanctl(env, ["--stats"], 5000)).code === 0;
      },
      { timeoutMs, what: `charon's vici socket in ${ns}` },
    );
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}

/** Resident memory of a process in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}
