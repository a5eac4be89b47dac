// Per-user usage as the server keeps it (`npm run status -- --usage`): the output
// of `vpn-aaa usage` (templates/aaa/vpn-aaa.sh.ejs: the SQLite table
// vpn_usage_daily, one row per user and UTC day, and the live sessions per user),
// summed per user for the server's current UTC day and month and set against the
// user's monthly quota. Pure: the day comes from the server's clock in the facts.
// Field names are a documented interface (docs/usage.md): add, never rename.

/** The live server's answer, as parsed from the status output (`@@aaa-usage`). */
export type UsageFacts =
  | { state: "ok"; days: DailyUsage[]; sessions: Record<string, number> }
  /** No /usr/local/sbin/vpn-aaa: the stack uses no lifecycle field and not vpn:accounting. */
  | { state: "absent" }
  | { state: "failed"; reason: string };

export interface DailyUsage {
  user: string;
  /** UTC day, "2026-12-07". */
  day: string;
  /** Bytes received from the user's devices. */
  bytesIn: number;
  /** Bytes sent to the user's devices. */
  bytesOut: number;
  /** Seconds connected, summed over the user's devices. */
  seconds: number;
}

export interface UsageTotals {
  bytesIn: number;
  bytesOut: number;
  seconds: number;
}

export interface UserUsage {
  user: string;
  /** Established IKE_SAs (devices) of the user now. */
  sessions: number;
  today: UsageTotals;
  month: UsageTotals;
  /** monthlyQuotaGB in bytes (10^9 per GB); null: no quota. */
  monthlyQuotaBytes: number | null;
  /** (month.bytesIn + month.bytesOut) / monthlyQuotaBytes, in percent, one decimal; null: no quota. */
  quotaUsedPercent: number | null;
}

export interface RegionUsage {
  /** The server's current UTC day and month, which `today` and `month` count. */
  today: string;
  month: string;
  /** Every user with usage on this server or in the stack, by name. */
  users: UserUsage[];
  /** The whole daily history kept on this server (what a VM replacement loses). */
  days: DailyUsage[];
}

export class UsageParseError extends Error {}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** The JSON `vpn-aaa usage` prints: {"days":[{user,day,bytesIn,bytesOut,seconds}],"sessions":{user:n}}. */
export function parseUsageJson(text: string): UsageFacts & { state: "ok" } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageParseError("vpn-aaa usage did not print JSON");
  }
  const d = doc as { days?: unknown; sessions?: unknown } | null;
  if (!d || !Array.isArray(d.days) || typeof d.sessions !== "object" || d.sessions === null || Array.isArray(d.sessions))
    throw new UsageParseError("vpn-aaa usage: expected {days: [...], sessions: {...}}");
  const days = d.days.map((row: unknown, i: number): DailyUsage => {
    const r = row as Record<string, unknown> | null;
    if (
      !r ||
      typeof r.user !== "string" ||
      typeof r.day !== "string" ||
      !/^\d{4}-\d\d-\d\d$/.test(r.day) ||
      !isCount(r.bytesIn) ||
      !isCount(r.bytesOut) ||
      !isCount(r.seconds)
    ) {
      throw new UsageParseError(`vpn-aaa usage: days[${i}] is not {user, day, bytesIn, bytesOut, seconds}`);
    }
    return { user: r.user, day: r.day, bytesIn: r.bytesIn, bytesOut: r.bytesOut, seconds: r.seconds };
  });
  const sessions: Record<string, number> = {};
  for (const [user, n] of Object.entries(d.sessions as Record<string, unknown>)) {
    if (!isCount(n)) throw new UsageParseError(`vpn-aaa usage: sessions.${user} is not a count`);
    sessions[user] = n;
  }
  return { state: "ok", days, sessions };
}

const zero = (): UsageTotals => ({ bytesIn: 0, bytesOut: 0, seconds: 0 });
const addTo = (t: UsageTotals, d: DailyUsage) => {
  t.bytesIn += d.bytesIn;
  t.bytesOut += d.bytesOut;
  t.seconds += d.seconds;
};

/**
 * The region's usage at the server's clock `nowSeconds` (UTC). `quotasGB`: user ->
 * monthlyQuotaGB from the stack config (users listed there appear even without usage).
 */
export function regionUsage(facts: UsageFacts & { state: "ok" }, nowSeconds: number, quotasGB: Record<string, number | null>): RegionUsage {
  const today = new Date(nowSeconds * 1000).toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const names = [...new Set([...Object.keys(quotasGB), ...facts.days.map((d) => d.user), ...Object.keys(facts.sessions)])].sort();
  const users = names.map((user): UserUsage => {
    const t = zero();
    const m = zero();
    for (const d of facts.days.filter((x) => x.user === user)) {
      if (d.day === today) addTo(t, d);
      if (d.day.startsWith(`${month}-`)) addTo(m, d);
    }
    const gb = quotasGB[user] ?? null;
    const quota = gb === null ? null : Math.round(gb * 1e9);
    return {
      user,
      sessions: facts.sessions[user] ?? 0,
      today: t,
      month: m,
      monthlyQuotaBytes: quota,
      quotaUsedPercent: quota === null ? null : Math.round(((m.bytesIn + m.bytesOut) / quota) * 1000) / 10,
    };
  });
  return { today, month, users, days: facts.days.map((d) => ({ ...d })) };
}
