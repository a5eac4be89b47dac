// The expiry warnings of `pulumi preview`/`up` and `npm run status`
// (model/expiryWarnings.ts), the users view status and `users list` read from the
// stack config (config/stackUsers.ts), and the program's call: every warning
// goes to pulumi.log.warn once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EXPIRY_WARNING_DAYS, expiryWarnings, timeUntil } from "../../model/expiryWarnings";
import { stackUsers } from "../../config/stackUsers";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "./mocks";
import { BASE } from "./fixtures";

const NOW = new Date("2026-12-07T12:00:00Z");

test("within 14 days and already expired, soonest first, dates in UTC; later, disabled and undated users say nothing", () => {
  const lines = expiryWarnings(
    [
      { name: "later", expires: "2026-12-21T12:00:01Z" },
      { name: "edge", expires: "2026-12-21T12:00:00Z" },
      { name: "soon", expires: "2026-12-08T00:00:00Z" },
      { name: "gone", expires: "2026-12-01T00:00:00Z" },
      { name: "now", expires: "2026-12-07T12:00:00Z" },
      { name: "suspended", expires: "2026-12-08T00:00:00Z", disabled: true },
      { name: "forever" },
    ],
    NOW,
  );
  assert.deepEqual(lines, [
    "user gone expired on 2026-12-01 00:00 UTC: the server refuses their logins; remove the user from vpn:users or set a later expires",
    // The instant itself counts as expired, as the server's `now >= expires`.
    "user now expired on 2026-12-07 12:00 UTC: the server refuses their logins; remove the user from vpn:users or set a later expires",
    "user soon expires on 2026-12-08 00:00 UTC (in 12 hours): after that the server ends their sessions and refuses their logins",
    `user edge expires on 2026-12-21 12:00 UTC (in ${EXPIRY_WARNING_DAYS} days): after that the server ends their sessions and refuses their logins`,
  ]);
  assert.deepEqual(expiryWarnings([], NOW), []);
});

test("the same users at another instant give other lines: only `now` moves them", () => {
  const u = [{ name: "alice", expires: "2027-01-31T00:00:00Z" }];
  assert.deepEqual(expiryWarnings(u, NOW), []);
  assert.match(expiryWarnings(u, new Date("2027-01-30T00:00:00Z"))[0], /^user alice expires on 2027-01-31 00:00 UTC \(in 1 day\)/);
  assert.match(expiryWarnings(u, new Date("2027-02-01T00:00:00Z"))[0], /^user alice expired on/);
  assert.equal(timeUntil(59_000), "in 1 minute");
  assert.equal(timeUntil(3 * 86_400_000 + 5), "in 3 days");
});

test("stackUsers: the config as pulumi config --json gives it (values or JSON text), device limit defaulted, problems listed", () => {
  const su = stackUsers(
    {
      "vpn:users": JSON.stringify([
        "alice",
        { name: "bob", expires: "2026-12-01", maxDevices: "3", monthlyQuotaGB: 50 },
        { name: "carol", disabled: true, expires: "next week" },
      ]),
      "vpn:maxDevicesPerUser": 2,
      "vpn:rotations": { alice: 4 },
    },
    NOW,
  );
  assert.deepEqual(su.users, [
    { user: "alice", expires: null, expired: false, disabled: false, maxDevices: 2, monthlyQuotaGB: null },
    { user: "bob", expires: "2026-12-01T00:00:00Z", expired: true, disabled: false, maxDevices: 3, monthlyQuotaGB: 50 },
    { user: "carol", expires: null, expired: false, disabled: true, maxDevices: 2, monthlyQuotaGB: null },
  ]);
  assert.deepEqual(su.rotations, { alice: 4 });
  assert.equal(su.lifecycle, true);
  assert.equal(su.problems.length, 1);
  assert.match(su.problems[0], /^vpn:users\[2\]\.expires \(user carol\): must be an ISO 8601 date/);
  const plain = stackUsers({ "vpn:users": ["alice", "bob"] }, NOW);
  assert.equal(plain.lifecycle, false);
  assert.deepEqual(plain.problems, []);
  assert.deepEqual(stackUsers({}, NOW).problems, ["vpn:users: is not a list of users"]);
});

test("the program: one pulumi.log.warn per line, the config's users against the clock", async () => {
  const { program } = await import("../../program");
  const soon = new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString().slice(0, 16);
  const raw = { ...BASE, "vpn:users": ["alice", { name: "bob", expires: soon }, { name: "carol", expires: "2020-01-01" }], "linode:token": "t" };
  const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const warned: string[] = [];
  const original = pulumi.log.warn;
  (pulumi.log as { warn: typeof pulumi.log.warn }).warn = async (msg: string) => {
    warned.push(msg);
  };
  try {
    await runProgram(config, () => program(), { stack: "dev", secretKeys: ["vpn:passwords", "linode:token"] });
  } finally {
    (pulumi.log as { warn: typeof pulumi.log.warn }).warn = original;
  }
  assert.equal(warned.length, 2, warned.join("\n"));
  assert.match(warned[0], /^user carol expired on 2020-01-01 00:00 UTC/);
  assert.match(warned[1], /^user bob expires on .* UTC \(in 3 days\)/);
});
