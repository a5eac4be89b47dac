// What `pulumi preview` / `pulumi up` and `npm run status` warn about users' expiry
// dates: users whose access ends within EXPIRY_WARNING_DAYS, and users whose access
// already ended (the server refuses them by itself; the warning says why a login
// fails and that the entry is left to clean up). Pure: the clock is an argument,
// so the same config gives the same lines at the same instant.
import { DAY_MS } from "./time";
import type { UserSpec } from "./types";

export const EXPIRY_WARNING_DAYS = 14;

/** "2027-01-31T18:00:00Z" -> "2027-01-31 18:00 UTC". */
export function utcMinute(iso: string): string {
  return new Date(iso).toISOString().replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2 UTC");
}

/** "in 3 days", "in 5 hours", "in 20 minutes" (rounded down: never later than it is). */
export function timeUntil(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (ms >= DAY_MS) return `in ${plural(Math.floor(ms / DAY_MS), "day")}`;
  if (ms >= 3_600_000) return `in ${plural(Math.floor(ms / 3_600_000), "hour")}`;
  return `in ${plural(Math.max(1, Math.floor(ms / 60_000)), "minute")}`;
}

/**
 * One line per user with an `expires` that has passed or comes within
 * EXPIRY_WARNING_DAYS of `now`, the soonest first. A suspended user (disabled) is
 * refused anyway and gets no line. `expires` is the validated UTC instant (config/userLifecycle.ts).
 */
export function expiryWarnings(users: readonly Pick<UserSpec, "name" | "expires" | "disabled">[], now: Date): string[] {
  const nowMs = now.getTime();
  return users
    .filter((u): u is typeof u & { expires: string } => u.expires !== undefined && !u.disabled && !Number.isNaN(Date.parse(u.expires)))
    .map((u) => ({ u, left: Date.parse(u.expires) - nowMs }))
    .filter(({ left }) => left <= EXPIRY_WARNING_DAYS * DAY_MS)
    .sort((a, b) => a.left - b.left || (a.u.name < b.u.name ? -1 : a.u.name > b.u.name ? 1 : 0))
    .map(({ u, left }) =>
      // The server compares with >= (vpn-aaa enforce): at the instant itself the user is out.
      left <= 0
        ? `user ${u.name} expired on ${utcMinute(u.expires)}: the server refuses their logins; remove the user from vpn:users or set a later expires`
        : `user ${u.name} expires on ${utcMinute(u.expires)} (${timeUntil(left)}): after that the server ends their sessions and refuses their logins`,
    );
}
