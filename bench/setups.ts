// A new client's login and tunnel setup (IKE_SA + EAP + CHILD_SA, swanctl --initiate),
// timed: shared by the flood figures (run.ts) and the lifecycle's login figures (aaa.ts).
import type { FixtureUser } from "../test/lib/fixture";
import type { Vpn } from "../test/lib/vpn";

/** `n` new clients one after another, each connected and dropped: ms each, NaN for a failed one. */
export async function setupTimes(vpn: Vpn, user: FixtureUser, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await vpn.client({ user: user.name, password: user.password, identity: user.name });
    const r = await c.connect(20);
    times.push(r.ok ? r.ms : NaN);
    await vpn.drop(c);
  }
  return times;
}
