// What the Pulumi program would run on a host: a fixture stack config through
// validateConfig() and renderRegion() (the project's own code), with the host's
// addresses and a throwaway certificate; and the runner that executes the
// rendered steps over SSH in their order, as the remote.Command chain does.
import { validateConfig } from "../../../config/validate";
import { renderRegion, RegionRender } from "../../../model/render";
import type { RemoteStep } from "../../../model/steps";
import type { TestPki } from "../../lib/pki";
import type { TestHost } from "./host";
import type { SshResult } from "./ssh";

export const ZONE = "hosts.example.test";
export const HOSTNAME = `vpn.${ZONE}`;

export interface User {
  name: string;
  password: string;
  staticIpv4?: string;
  /** Lifecycle fields, as a stack file holds them (config/userLifecycle.ts). */
  maxDevices?: number;
  monthlyQuotaGB?: number;
}

/** The RADIUS secret of every test host (a generated secret on real servers); used only by lifecycle stacks. */
export const RADIUS_SECRET = "hosts-radius-secret-0123456789";

export function renderFor(host: TestHost, users: User[], pki: TestPki, extra: Record<string, unknown> = {}): RegionRender {
  const config = validateConfig({
    "vpn:zone": ZONE,
    "vpn:hostname": HOSTNAME,
    // A plain name unless the user has more than a name and a password.
    "vpn:users": users.map(({ password: _, ...u }) => (Object.values(u).filter((v) => v !== undefined).length > 1 ? u : u.name)),
    "vpn:passwords": Object.fromEntries(users.map((u) => [u.name, u.password])),
    // Pushed to clients, never contacted.
    "vpn:dnsServers": ["198.51.100.53", "2001:db8:53::53"],
    ...extra,
  });
  return renderRegion({
    config,
    region: config.regions[0],
    addresses: { ipv4: host.v4, ipv6: host.v6, ipv6Range: host.routedV6 },
    passwords: config.passwords,
    certificate: pki.certificate,
    radiusSecret: RADIUS_SECRET,
  });
}

export interface StepRun extends SshResult {
  name: RemoteStep["name"];
}

/** Runs one rendered step: its script as the SSH command, its stdin piped. Throws with its output on failure. */
export async function runStep(host: TestHost, step: RemoteStep, timeoutMs = 300_000): Promise<StepRun> {
  const r = await host.ssh(step.script, { input: step.stdin, timeoutMs });
  if (r.code !== 0) {
    throw new Error(`step ${step.name} failed on ${host.name} (${r.signal ?? `exit ${r.code}`}, ${r.ms} ms):\n${r.output.slice(-4000)}`);
  }
  return { name: step.name, ...r };
}

/**
 * The named steps (default: all, as `pulumi up` on a new VM), in their order.
 * A changed file bundle re-runs push-files and apply only: their triggers hold
 * the bundle's hash, the other steps' only the instance id.
 */
export async function runSteps(host: TestHost, render: RegionRender, names?: RemoteStep["name"][]): Promise<StepRun[]> {
  const runs: StepRun[] = [];
  for (const step of render.steps) if (!names || names.includes(step.name)) runs.push(await runStep(host, step));
  return runs;
}

export const ON_BUNDLE_CHANGE: RemoteStep["name"][] = ["push-files", "apply"];

export function summary(runs: StepRun[]): string {
  return runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(1)} s`).join(", ");
}

/**
 * How @pulumi/command 1.2.1 dials (provider/pkg/provider/remote/connection.go,
 * dialWithRetry over pulumi's retry.Until): a failed dial is retried after 100 ms,
 * each pause 1.5 times the last, at most 5 s, until `dialErrorLimit` dials have
 * failed; the program sets 40 (components/vpnRegion.ts, SSH_DIAL).
 */
export const PULUMI_DIAL = { errorLimit: 40, firstDelayMs: 100, backoff: 1.5, maxDelayMs: 5000 };
/** What the ssh client prints when it never got as far as running the command. */
const DIAL_FAILURE = /^(ssh: connect to host \S+ port \d+: .*|kex_exchange_identification: .*|Connection (closed|reset) by \S+ port \d+.*)$/;

export interface DialedStepRun extends StepRun {
  /** Dials that failed before the step ran (the host was rebooting, say). */
  failedDials: number;
}

/**
 * Runs one step the way the remote.Command does after the first: pinned to `hostKey`,
 * and dialled again on the provider's schedule while the host refuses or does not
 * answer (the pauses are that schedule, not a wait for the host). Throws on the
 * step's failure, or when the dials run out.
 */
export async function runStepDialing(host: TestHost, step: RemoteStep, hostKey: string, timeoutMs = 300_000): Promise<DialedStepRun> {
  let pause = PULUMI_DIAL.firstDelayMs;
  for (let failedDials = 0; ;) {
    const r = await host.ssh(step.script, { input: step.stdin, timeoutMs, hostKey });
    const lines = r.output.trim().split("\n");
    if (r.code === 255 && lines.every((l) => DIAL_FAILURE.test(l))) {
      failedDials++;
      if (failedDials > PULUMI_DIAL.errorLimit) throw new Error(`step ${step.name}: after ${failedDials} failed dials to ${host.name}: ${r.output.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * PULUMI_DIAL.backoff, PULUMI_DIAL.maxDelayMs);
      continue;
    }
    if (r.code !== 0) throw new Error(`step ${step.name} failed on ${host.name} (${r.signal ?? `exit ${r.code}`}, ${r.ms} ms):\n${r.output.slice(-4000)}`);
    return { name: step.name, ...r, failedDials };
  }
}
