// The users as the stack config lists them, with their lifecycle fields: the shape
// `npm run status` and `npm run users -- list` report. Parsed from the stack config
// by config/stackUsers.ts (config reads and validates; the model only describes).
import type { UserSpec } from "../types";

/** One user's settings as `npm run status --json` prints them (document `users`). */
export interface UserConfigStatus {
  user: string;
  /** The UTC instant access ends (ISO 8601), null when it never does. */
  expires: string | null;
  /** expires is at or before the time of the report. */
  expired: boolean;
  /** Suspended (disabled: true). */
  disabled: boolean;
  /** Simultaneous devices allowed (the user's maxDevices, else vpn:maxDevicesPerUser); null: unlimited. */
  maxDevices: number | null;
  /** GB (10^9 bytes) in + out per UTC month on each server; null: no quota. */
  monthlyQuotaGB: number | null;
}

export interface StackUsers {
  users: UserConfigStatus[];
  /** The validated user specs (for expiryWarnings and the quota in bytes). */
  specs: UserSpec[];
  /** vpn:rotations (user -> count), as validated. */
  rotations: Record<string, number>;
  /** Whether the stack uses the lifecycle (and so the server keeps usage): model/server/aaa.ts aaaEnabled. */
  lifecycle: boolean;
  /** One line per value that would fail validation (the program refuses it at the next `pulumi up`). */
  problems: string[];
}
