// The users: names, static addresses, lifecycle fields (../userLifecycle.ts), passwords,
// rotations and the per-user device limit.
import { cidrContains, cidrSize, Cidr, parseIp } from "../../model/net";
import { windowsNameProblem } from "../../model/fileNames";
import type { UserSpec } from "../../model/types";
import { LIFECYCLE_FIELDS, MAX_DEVICES_LIMIT, userLifecycle, validateRotations, wholeNumber } from "../userLifecycle";
import { Collector, describe, list, Raw, structured } from "./fields";

/**
 * User names: EAP identities, file names, Windows connection names. Kept portable on purpose.
 * Not a dotted quad: strongSwan parses such a name as an IPv4 identity and feeds its
 * 4 binary bytes to EAP-MSCHAPv2, so that user could never log in (test/e2e).
 * The syntax alone still lets through names Windows cannot use as a file or folder name
 * (con, nul.txt, com1, a trailing dot): windowsNameProblem (model/fileNames.ts) refuses those.
 */
export const USER_NAME_RE = /^(?!\d+(?:\.\d+){3}$)[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const USER_NAME_RULE =
  "1-64 characters: letters, digits and . _ @ + - (starting with a letter or digit, not ending with a dot), not an IPv4 address, not a Windows device name such as con or com1";
/** Passwords: printable ASCII (space to ~), so every client platform can type and store them. */
export const PASSWORD_RE = /^[\x20-\x7e]{8,128}$/;
const PASSWORD_RULE = "8-128 printable ASCII characters (space through ~), no leading or trailing space";

function validateUsers(c: Collector, raw: Raw, pool: Cidr | undefined): UserSpec[] {
  const given = raw["vpn:users"];
  if (typeof given === "string" && given !== "" && !/^\s*[[{]/.test(given)) {
    // `vpn:users: alice` in a stack file arrives as the bare text: one message, with the fix.
    c.add("vpn:users", `must be a list of user names or { name, staticIpv4 } objects, got the text ${describe(given)}; a single user is written [${given}]`);
    return [];
  }
  const listed = list(c, raw, "vpn:users");
  if (listed === undefined) {
    if (given === undefined || given === null || given === "") c.add("vpn:users", "is required: a list of user names or { name, staticIpv4 } objects");
    return [];
  }
  if (listed.length === 0) c.add("vpn:users", "must list at least one user");
  const users: UserSpec[] = [];
  const seen = new Map<string, string>();
  const seenIp = new Map<string, string>();
  listed.forEach((item, i) => {
    const key = `vpn:users[${i}]`;
    let name: unknown = item;
    let staticIpv4: unknown;
    if (typeof item === "object" && item !== null && !Array.isArray(item)) {
      const o = item as Record<string, unknown>;
      const allowed = ["name", "staticIpv4", ...LIFECYCLE_FIELDS];
      const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
      if (unknown.length) c.add(key, `unknown field(s) ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`);
      name = o.name;
      staticIpv4 = o.staticIpv4;
    }
    if (typeof name !== "string" || !USER_NAME_RE.test(name)) {
      c.add(typeof item === "object" ? `${key}.name` : key, `user name must be ${USER_NAME_RULE}, got ${describe(name)}`);
      return;
    }
    // Each user gets a profile folder and files named after them (<user>/<user>.ps1 ...).
    const windows = windowsNameProblem(name);
    if (windows) {
      c.add(typeof item === "object" ? `${key}.name` : key, `user name ${JSON.stringify(name)} ${windows}; choose another name`);
      return;
    }
    const folded = name.toLowerCase();
    if (seen.has(folded)) {
      c.add(key, `user ${name} is listed twice (names are compared case-insensitively; first as ${seen.get(folded)})`);
      return;
    }
    seen.set(folded, name);
    const user: UserSpec = { name };
    if (typeof item === "object" && item !== null)
      Object.assign(
        user,
        userLifecycle((k, m) => c.add(k, m), key, name, item as Record<string, unknown>),
      );
    if (staticIpv4 !== undefined) {
      const ipText = typeof staticIpv4 === "string" ? staticIpv4 : undefined;
      const ip = ipText === undefined ? undefined : parseIp(ipText);
      if (!ip || ip.family !== 4 || ipText === undefined) {
        c.add(`${key}.staticIpv4`, `must be an IPv4 address, got ${describe(staticIpv4)}`);
      } else if (pool && !(cidrContains(pool, 4, ip.value) && ip.value !== pool.base && ip.value !== pool.base + cidrSize(pool) - 1n)) {
        c.add(`${key}.staticIpv4`, `${ipText} is not a usable address of vpn:poolV4 (${pool.text})`);
      } else if (pool && ip.value === pool.base + 1n) {
        c.add(`${key}.staticIpv4`, `${ipText} is the server's own address in vpn:poolV4 (its DNS resolver); use another one`);
      } else if (seenIp.has(ipText)) {
        c.add(`${key}.staticIpv4`, `${ipText} is already given to ${seenIp.get(ipText)}`);
      } else {
        seenIp.set(ipText, name);
        user.staticIpv4 = ipText;
      }
    }
    users.push(user);
  });
  return users;
}

function validatePasswords(c: Collector, raw: Raw, users: UserSpec[]): Record<string, string> {
  const v = structured(c, "vpn:passwords", raw["vpn:passwords"]);
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    c.add("vpn:passwords", `must be a map of user name -> password, got ${describe(v)}`);
    return {};
  }
  const names = new Set(users.map((u) => u.name));
  const out: Record<string, string> = {};
  for (const [name, pw] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Never echo a password back: the message only says what is wrong with it.
    if (!names.has(name)) {
      c.add(`vpn:passwords.${name}`, "has no matching user in vpn:users");
    } else if (typeof pw !== "string" || !PASSWORD_RE.test(pw) || pw !== pw.trim()) {
      c.add(`vpn:passwords.${name}`, `password must be ${PASSWORD_RULE}`);
    } else {
      out[name] = pw;
    }
  }
  return out;
}

/** vpn:users, vpn:passwords, vpn:rotations and vpn:maxDevicesPerUser, in that order. */
export function validateUserKeys(c: Collector, raw: Raw, pool: Cidr | undefined) {
  const users = validateUsers(c, raw, pool);
  const passwords = validatePasswords(c, raw, users);
  const rotations = validateRotations((k, m) => c.add(k, m), structured(c, "vpn:rotations", raw["vpn:rotations"]), new Set(users.map((u) => u.name)));
  const perUser = raw["vpn:maxDevicesPerUser"];
  // 0 (the stack file's "not set") and absent: no limit.
  const maxDevicesPerUser =
    perUser === undefined || perUser === null || perUser === "" || perUser === 0 || perUser === "0"
      ? undefined
      : wholeNumber((k, m) => c.add(k, m), "vpn:maxDevicesPerUser", perUser, 1, MAX_DEVICES_LIMIT);
  return { users, passwords, rotations, maxDevicesPerUser };
}
