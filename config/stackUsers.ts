// The users as the stack config lists them, with their lifecycle fields
// (expires, disabled, device limit, monthly quota), for `npm run status` and
// `npm run users -- list`. Read from the plain (non-secret) config values only;
// parsed with the program's own field rules (config/userLifecycle.ts), but
// leniently: a bad value becomes a problem line and the rest is still shown,
// since status is what one runs when something is wrong. Pure: `now` is an argument.
import { MAX_DEVICES_LIMIT, userLifecycle, validateRotations, wholeNumber } from "./userLifecycle";
import { USER_NAME_RE } from "./validate";
import { aaaEnabled } from "../model/server/aaa";
import type { UserSpec } from "../model/types";
import type { StackUsers } from "../model/status/stackUsers";

/** A config value as stored: structured values may arrive as JSON text. */
function structured(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** `raw`: full key -> plain value (vpn:users, vpn:maxDevicesPerUser, vpn:accounting, vpn:rotations). */
export function stackUsers(raw: Record<string, unknown>, now: Date): StackUsers {
  const problems: string[] = [];
  const add = (key: string, message: string): undefined => {
    problems.push(`${key}: ${message}`);
    return undefined;
  };
  const listed = structured(raw["vpn:users"]);
  const specs: UserSpec[] = [];
  if (!Array.isArray(listed)) add("vpn:users", "is not a list of users");
  else
    listed.forEach((item, i) => {
      const key = `vpn:users[${i}]`;
      const o = typeof item === "object" && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
      const name: unknown = o ? o.name : item;
      if (typeof name !== "string" || !USER_NAME_RE.test(name)) return add(key, "has no valid user name");
      specs.push({ name, ...(o ? userLifecycle(add, key, name, o) : {}) });
    });
  const perUserRaw = raw["vpn:maxDevicesPerUser"];
  const perUser =
    perUserRaw === undefined || perUserRaw === null || perUserRaw === "" || perUserRaw === 0 || perUserRaw === "0"
      ? undefined
      : wholeNumber(add, "vpn:maxDevicesPerUser", perUserRaw, 1, MAX_DEVICES_LIMIT);
  const rotations = validateRotations(add, structured(raw["vpn:rotations"]), new Set(specs.map((u) => u.name)));
  const accounting = raw["vpn:accounting"] === true || raw["vpn:accounting"] === "true";
  const nowMs = now.getTime();
  return {
    users: specs.map((u) => ({
      user: u.name,
      expires: u.expires ?? null,
      expired: u.expires !== undefined && Date.parse(u.expires) <= nowMs,
      disabled: u.disabled === true,
      maxDevices: u.maxDevices ?? perUser ?? null,
      monthlyQuotaGB: u.monthlyQuotaGB ?? null,
    })),
    specs,
    rotations,
    lifecycle: aaaEnabled({ users: specs, ...(perUser !== undefined ? { maxDevicesPerUser: perUser } : {}), accounting }),
    problems,
  };
}
