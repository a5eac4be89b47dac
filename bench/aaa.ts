// npm run bench, the user lifecycle's figures: what the RADIUS path (charon's
// eap-radius asking the local FreeRADIUS, model/server/aaa.ts) costs against
// charon checking the EAP secrets itself. The same fixture users, the same
// topology; only `maxDevices` turns the lifecycle on.
import { rssKiB } from "../test/lib/charon";
import type { FixtureUser } from "../test/lib/fixture";
import { createVpn } from "../test/lib/vpn";
import { setupTimes } from "./setups";

export const LOGINS = 100;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** `n` logins one after another (a new client each, IKE_SA + EAP + CHILD_SA): ms each, NaN for a failed one. */
async function logins(lifecycle: boolean, n: number): Promise<{ ms: number[]; charonKiB: number; radiusKiB?: number; enforceMs?: number }> {
  const user: FixtureUser = { name: "benchuser", password: "bench-login-passw0rd", ...(lifecycle ? { maxDevices: 3 } : {}) };
  const vpn = await createVpn({ users: [user] });
  try {
    const ms = await setupTimes(vpn, user, n);
    let enforceMs: number | undefined;
    if (lifecycle) {
      const t0 = Date.now();
      await vpn.server.vpnAaa(["enforce"]);
      enforceMs = Date.now() - t0;
    }
    return { ms, charonKiB: vpn.server.memoryKiB(), radiusKiB: vpn.server.radius ? rssKiB(vpn.server.radius.pid) : undefined, enforceMs };
  } finally {
    await vpn.teardown();
  }
}

export async function lifecycleFigures(): Promise<void> {
  const plain = await logins(false, LOGINS);
  const radius = await logins(true, LOGINS);
  const line = (name: string, ms: number[]) => {
    const ok = ms.filter((x) => !Number.isNaN(x));
    return `  ${name}: median ${quantile(ok, 0.5)} ms, p95 ${quantile(ok, 0.95)} ms, max ${Math.max(...ok)} ms (${ok.length}/${ms.length} logins succeeded)`;
  };
  console.log(line("charon checks the EAP secret (no lifecycle)", plain.ms));
  console.log(line("through FreeRADIUS (eap-radius, accounting Start)", radius.ms));
  console.log(
    `  memory: charon ${(plain.charonKiB / 1024).toFixed(1)} MiB without, ${(radius.charonKiB / 1024).toFixed(1)} MiB with the lifecycle; freeradius ${((radius.radiusKiB ?? NaN) / 1024).toFixed(1)} MiB RSS`,
  );
  console.log(`  vpn-aaa enforce (the minute timer's run: stale rows, expiry and quota checks, metrics file): ${radius.enforceMs} ms`);
}
