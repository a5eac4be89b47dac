// The user lifecycle's config fields and what they render (model/server/aaa.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { validateConfig } from "../../config/validate";
import { parseExpiry } from "../../config/userLifecycle";
import { renderOffline } from "../../model/offline";
import { renderRegion } from "../../model/render";
import { AAA_PACKAGES, AAA_PATHS, aaaEnabled, renderPolicy, renderRadiusUsers } from "../../model/server/aaa";
import { PATHS } from "../../model/server/files";
import { BASE, problems, withKeys } from "./fixtures";

const withUser = (u: Record<string, unknown>) => withKeys({ "vpn:users": [{ name: "alice", ...u }, "bob"] });

test("expires: ISO 8601 dates and date-times, UTC unless a zone is given", () => {
  assert.equal(parseExpiry("2027-01-31"), "2027-01-31T00:00:00Z");
  assert.equal(parseExpiry("2027-01-31T18:00"), "2027-01-31T18:00:00Z");
  assert.equal(parseExpiry("2027-01-31T18:00:30Z"), "2027-01-31T18:00:30Z");
  assert.equal(parseExpiry("2027-01-31T18:00+01:00"), "2027-01-31T17:00:00Z");
  assert.equal(parseExpiry("2027-01-31T00:30-02:30"), "2027-01-31T03:00:00Z");
  for (const bad of ["2027-02-30", "2027-13-01", "31.01.2027", "2027-01-31T25:00", "tomorrow", "2027-01-31T18:00+15:00", ""]) {
    assert.equal(parseExpiry(bad), undefined, bad);
  }
  assert.equal(validateConfig(withUser({ expires: "2027-01-31T18:00" })).users[0].expires, "2027-01-31T18:00:00Z");
});

test("every bad lifecycle value is one line naming the user and the field", () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ expires: "next week" }, /^vpn:users\[0\]\.expires \(user alice\): must be an ISO 8601 date/],
    [{ expires: 20270131 }, /^vpn:users\[0\]\.expires \(user alice\): must be an ISO 8601 date/],
    [{ maxDevices: 0 }, /^vpn:users\[0\]\.maxDevices \(user alice\): must be a whole number from 1 to 1000, got number 0$/],
    [{ maxDevices: 1.5 }, /^vpn:users\[0\]\.maxDevices \(user alice\): must be a whole number/],
    [{ maxDevices: "two" }, /^vpn:users\[0\]\.maxDevices \(user alice\): must be a whole number/],
    [{ monthlyQuotaGB: 0 }, /^vpn:users\[0\]\.monthlyQuotaGB \(user alice\): must be a number of gigabytes/],
    [{ monthlyQuotaGB: -5 }, /^vpn:users\[0\]\.monthlyQuotaGB \(user alice\): must be a number of gigabytes/],
    [{ monthlyQuotaGB: "lots" }, /^vpn:users\[0\]\.monthlyQuotaGB \(user alice\): must be a number of gigabytes/],
    [{ disabled: "yes" }, /^vpn:users\[0\]\.disabled \(user alice\): must be true or false/],
    [{ expire: "2027-01-01" }, /^vpn:users\[0\]: unknown field\(s\) expire; allowed: name, staticIpv4, expires, maxDevices, monthlyQuotaGB, disabled$/],
  ];
  for (const [u, re] of cases) {
    const p = problems(withUser(u));
    assert.equal(p.length, 1, JSON.stringify(p));
    assert.match(p[0], re);
  }
  assert.deepEqual(problems(withKeys({ "vpn:maxDevicesPerUser": -1 })), ["vpn:maxDevicesPerUser: must be a whole number from 1 to 1000, got number -1"]);
  assert.deepEqual(problems(withKeys({ "vpn:rotations": { carol: 1 } })), ["vpn:rotations.carol: has no matching user in vpn:users"]);
  assert.deepEqual(problems(withKeys({ "vpn:rotations": { alice: "x" } })), ['vpn:rotations.alice: must be a whole number from 0 to 1000000, got "x"']);
});

test("values from `pulumi config set --path` (text) are read like numbers and booleans", () => {
  const c = validateConfig(withUser({ maxDevices: "2", monthlyQuotaGB: "50.5", disabled: "true" }));
  assert.deepEqual({ ...c.users[0] }, { name: "alice", maxDevices: 2, monthlyQuotaGB: 50.5, disabled: true });
  assert.equal(validateConfig(withKeys({ "vpn:maxDevicesPerUser": "3" })).maxDevicesPerUser, 3);
  assert.equal(validateConfig(withKeys({ "vpn:maxDevicesPerUser": 0 })).maxDevicesPerUser, undefined, "0: unlimited");
});

test("the lifecycle is on only when a stack uses it", () => {
  assert.equal(aaaEnabled(validateConfig(BASE)), false);
  assert.equal(aaaEnabled(validateConfig(withUser({ disabled: false }))), false, "disabled: false changes nothing");
  for (const u of [{ expires: "2030-01-01" }, { maxDevices: 1 }, { monthlyQuotaGB: 1 }, { disabled: true }])
    assert.equal(aaaEnabled(validateConfig(withUser(u))), true);
  assert.equal(aaaEnabled(validateConfig(withKeys({ "vpn:maxDevicesPerUser": 2 }))), true);
  assert.equal(aaaEnabled(validateConfig(withKeys({ "vpn:accounting": true }))), true);
});

test("a stack without the new fields renders today's server files and profiles, byte for byte", () => {
  // The digest of `npm run render` on Pulumi.dev.yaml (server files with modes, then
  // every profile) as rendered before the lifecycle existed. Share links (on by
  // default, added later) are switched off, which must also give exactly that.
  const doc = YAML.parse(readFileSync(join(__dirname, "../../Pulumi.dev.yaml"), "utf8"));
  doc.config["vpn:shareLinks"] = false;
  const h = createHash("sha256");
  for (const r of renderOffline(doc, "dev", validateConfig)) {
    for (const f of r.files) h.update(`${f.path} ${f.mode}\n${f.content}\n`);
    for (const [u, files] of Object.entries(r.profiles)) for (const [n, c] of Object.entries(files)) h.update(`${u}/${n}\n`).update(c);
  }
  assert.equal(h.digest("hex"), "3f07d631bf2f8761cd817bd3f3b3afdb8f308e7750aa0c12061ede27fae0f8aa");
});

test("with the lifecycle: FreeRADIUS holds the passwords, swanctl.conf none; charon asks it; the packages come along", () => {
  const config = validateConfig(
    withKeys({
      "vpn:users": [
        { name: "alice", maxDevices: 2 },
        { name: "bob", disabled: true },
      ],
    }),
  );
  const r = renderRegion({ config, region: config.regions[0], passwords: { alice: "a'li\\ce %{x}", bob: "bob-password" }, radiusSecret: "s3cret" });
  const file = (p: string) => r.files.find((f) => f.path === p);
  assert.match(file(PATHS.swanctlConf)!.content, /auth = eap-radius/);
  assert.doesNotMatch(file(PATHS.swanctlConf)!.content, /eap-u1/);
  const ss = file(PATHS.strongswanConf)!;
  assert.equal(ss.mode, "600");
  assert.equal(ss.secret, true);
  assert.match(ss.content, /eap-radius \{\n\s+load = yes/);
  assert.match(ss.content, /dae \{\n\s+enable = yes\n\s+listen = 127\.0\.0\.1/);
  for (const p of [AAA_PATHS.clientsConf, AAA_PATHS.radiusUsers, AAA_PATHS.daeSecret]) assert.equal(file(p)?.secret, true, p);
  assert.equal(file(PATHS.usersFile)!.content, "alice\n", "a suspended user's sessions end like a removed user's");
  const install = r.steps.find((s) => s.name === "install-packages")!.script;
  for (const p of AAA_PACKAGES) assert.match(install, new RegExp(`\\b${p}\\b`));
  assert.match(file(AAA_PATHS.radiusdConf)!.content, /ipaddr = 127\.0\.0\.1/);
  assert.doesNotMatch(file(AAA_PATHS.radiusdConf)!.content, /ipaddr = \*|ipaddr = 0\.0\.0\.0/, "loopback only");
});

test("the users file quotes names and passwords literally and carries each limit", () => {
  const text = renderRadiusUsers(
    [{ name: "alice", expires: "2027-01-31T00:00:00Z", maxDevices: 2, monthlyQuotaGB: 1.5 }, { name: "bob", disabled: true }, { name: "carol" }],
    { alice: `it's a \\ "test" %{exec:/bin/sh}`, bob: "b", carol: "c" },
    3,
  );
  assert.match(
    text,
    /^'alice' Cleartext-Password := 'it\\'s a \\\\ "test" %\{exec:\/bin\/sh\}', Expiration := 1801353600, Simultaneous-Use := 2, Vpn-Monthly-Quota := 1500000000$/m,
  );
  assert.match(text, /^'bob' Cleartext-Password := 'b', Auth-Type := Reject, Simultaneous-Use := 3$/m);
  assert.match(text, /^'carol' Cleartext-Password := 'c', Simultaneous-Use := 3$/m);
  assert.equal(
    renderPolicy([
      { name: "alice", expires: "2027-01-31T00:00:00Z" },
      { name: "bob", disabled: true, monthlyQuotaGB: 1 },
      { name: "carol", monthlyQuotaGB: 2 },
    ]),
    "# name expires-epoch monthly-quota-bytes\nalice 1801353600 -\ncarol - 2000000000\n",
  );
});
