// The lifecycle fields of a user object (expires, maxDevices, monthlyQuotaGB,
// disabled), vpn:maxDevicesPerUser and vpn:rotations. Each bad value is one
// problem naming the user and the field; the caller collects them.
import type { UserSpec } from "../model/types";

type Add = (key: string, message: string) => undefined;

export const LIFECYCLE_FIELDS = ["expires", "maxDevices", "monthlyQuotaGB", "disabled"] as const;
/** Generous bounds that still catch a unit mistake (bytes given as GB, a stray extra digit). */
export const MAX_DEVICES_LIMIT = 1000;
const MAX_QUOTA_GB = 1_000_000;
const MAX_ROTATIONS = 1_000_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An ISO 8601 date ("2027-01-31": access ends at 00:00 UTC that day) or date-time
 * ("2027-01-31T18:00", UTC when no zone is given; "…+01:00", "…Z"), as the UTC
 * instant "YYYY-MM-DDTHH:MM:SSZ". undefined when it is not such a value.
 */
export function parseExpiry(text: string): string | undefined {
  const d = DATE_RE.exec(text);
  const t = d ? undefined : DATE_TIME_RE.exec(text);
  const m = d ?? t;
  if (!m) return undefined;
  const [y, mo, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = t ? [Number(t[4]), Number(t[5]), Number(t[6] ?? 0)] : [0, 0, 0];
  if (mo < 1 || mo > 12 || day < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  let ms = Date.UTC(y, mo - 1, day, h, mi, s);
  // Date.UTC rolls 2027-02-30 over into March: refuse dates that do not exist.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const zone = t?.[7];
  if (zone && zone !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
    if (Number(z[2]) > 14 || Number(z[3]) > 59) return undefined;
    ms -= z[1] === "+" ? offset : -offset;
  }
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

/** Stack files written by hand hold numbers as numbers; `pulumi config set --path` may store text. */
function number(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return NaN;
}

export function wholeNumber(add: Add, key: string, v: unknown, min: number, max: number): number | undefined {
  const n = number(v);
  if (!Number.isInteger(n) || n < min || n > max) return add(key, `must be a whole number from ${min} to ${max}, got ${describe(v)}`);
  return n;
}

/** The lifecycle fields of one user object `o`, listed at `key` (vpn:users[i]) for user `name`. */
export function userLifecycle(add: Add, key: string, name: string, o: Record<string, unknown>): Partial<UserSpec> {
  const out: Partial<UserSpec> = {};
  const field = (f: string) => `${key}.${f} (user ${name})`;
  if (o.expires !== undefined) {
    const iso = typeof o.expires === "string" ? parseExpiry(o.expires.trim()) : undefined;
    if (iso === undefined)
      add(
        field("expires"),
        `must be an ISO 8601 date (2027-01-31) or date-time (2027-01-31T18:00, UTC unless a zone such as Z or +01:00 follows), got ${describe(o.expires)}`,
      );
    else out.expires = iso;
  }
  if (o.maxDevices !== undefined) {
    const n = wholeNumber(add, field("maxDevices"), o.maxDevices, 1, MAX_DEVICES_LIMIT);
    if (n !== undefined) out.maxDevices = n;
  }
  if (o.monthlyQuotaGB !== undefined) {
    const n = number(o.monthlyQuotaGB);
    if (!Number.isFinite(n) || n <= 0 || n > MAX_QUOTA_GB)
      add(field("monthlyQuotaGB"), `must be a number of gigabytes (10^9 bytes) above 0 and at most ${MAX_QUOTA_GB}, got ${describe(o.monthlyQuotaGB)}`);
    else out.monthlyQuotaGB = n;
  }
  if (o.disabled !== undefined) {
    if (typeof o.disabled !== "boolean" && o.disabled !== "true" && o.disabled !== "false")
      add(field("disabled"), `must be true or false, got ${describe(o.disabled)}`);
    else if (o.disabled === true || o.disabled === "true") out.disabled = true;
  }
  return out;
}

/** vpn:rotations: user -> how many times `npm run users -- rotate` replaced the generated password. */
export function validateRotations(add: Add, value: unknown, names: Set<string>): Record<string, number> {
  if (value === undefined || value === null || value === "") return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    add("vpn:rotations", `must be a map of user name -> number of rotations, got ${describe(value)}`);
    return {};
  }
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!names.has(name)) {
      add(`vpn:rotations.${name}`, "has no matching user in vpn:users");
      continue;
    }
    const n = wholeNumber(add, `vpn:rotations.${name}`, v, 0, MAX_ROTATIONS);
    if (n) out[name] = n;
  }
  return out;
}
