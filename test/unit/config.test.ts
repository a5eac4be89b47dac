import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../config/validate";
import { BASE, problems, withKeys } from "./fixtures";

test("a minimal config gets every documented default", () => {
  const c = validateConfig({ "vpn:zone": "example.com", "vpn:hostname": "vpn.example.com", "vpn:users": ["alice"] });
  assert.deepEqual(c.regions, [{ region: "us-ord", hostname: "vpn.example.com" }]);
  assert.equal(c.instanceType, "g6-nanode-1");
  assert.equal(c.image, "linode/debian12");
  assert.equal(c.poolV4, "10.47.83.0/24");
  assert.equal(c.compat, "modern");
  assert.equal(c.uniqueIds, "never");
  assert.deepEqual(c.sshAllowedCidrs, ["0.0.0.0/0", "::/0"]);
  assert.deepEqual(c.dnsServers, [], "empty: the server's own resolver");
  assert.equal(c.clientToClient, false);
  assert.equal(c.maintenanceWindow, "04:00");
  assert.equal(c.acme.directoryUrl, "https://acme-v02.api.letsencrypt.org/directory");
  assert.equal(c.acme.dnsProvider, "linode");
  assert.equal(c.onDemand, "off");
  assert.equal(c.appleKillSwitch, false);
  assert.deepEqual(c.passwords, {});
});

test("structured keys are accepted as Pulumi's JSON text and as parsed YAML alike", () => {
  const fromJson = validateConfig({ ...BASE, "vpn:users": JSON.stringify(BASE["vpn:users"]), "vpn:passwords": JSON.stringify(BASE["vpn:passwords"]) });
  assert.deepEqual(fromJson, validateConfig(BASE));
  assert.deepEqual(fromJson.users, [{ name: "alice" }, { name: "bob", staticIpv4: "10.47.83.50" }]);
});

test("several regions, legacy compat, staging ACME and rfc2136 are understood", () => {
  const c = validateConfig(
    withKeys(
      {
        "vpn:regions": [
          { region: "us-ord", hostname: "ord.example.com" },
          { region: "in-bom-2", hostname: "example.com" },
        ],
        "vpn:compat": "legacy",
        "vpn:acmeServer": "staging",
        "vpn:dnsProvider": "rfc2136",
        "vpn:rfc2136": { server: "[2001:db8::53]:5353", keyName: "acme-key." },
        "vpn:rfc2136Secret": "c2VjcmV0c2VjcmV0",
        "vpn:onDemand": "untrusted-wifi",
        "vpn:trustedSsids": ["Home Wi-Fi", "Büro"],
        "vpn:image": "linode/ubuntu24.04",
        "vpn:passwords": { alice: `q"u'o\\te #{} x` },
      },
      ["vpn:hostname"],
    ),
  );
  assert.deepEqual(
    c.regions.map((r) => r.region),
    ["us-ord", "in-bom-2"],
  );
  assert.equal(c.compat, "legacy");
  assert.match(c.acme.directoryUrl, /staging/);
  assert.deepEqual(c.acme.rfc2136, { server: "2001:db8::53", port: 5353, keyName: "acme-key.", algorithm: "hmac-sha256" });
  assert.equal(c.passwords.alice, `q"u'o\\te #{} x`);
});

// Each case: the raw config, the key the error must name, and a fragment saying what is allowed.
const BAD: Array<[string, Record<string, unknown>, string, RegExp]> = [
  ["zone missing", withKeys({}, ["vpn:zone"]), "vpn:zone", /required/],
  ["zone not a domain", withKeys({ "vpn:zone": "localhost" }), "vpn:zone", /fully qualified/],
  ["zone with uppercase", withKeys({ "vpn:zone": "Example.com" }), "vpn:zone", /lowercase/],
  ["hostname missing", withKeys({}, ["vpn:hostname"]), "vpn:hostname", /required/],
  ["hostname outside zone", withKeys({ "vpn:hostname": "vpn.example.org" }), "vpn:hostname", /not inside the zone/],
  ["hostname lookalike of zone", withKeys({ "vpn:hostname": "vpnexample.com" }), "vpn:hostname", /not inside the zone/],
  ["hostname with underscore", withKeys({ "vpn:hostname": "my_vpn.example.com" }), "vpn:hostname", /fully qualified/],
  ["hostname with label too long", withKeys({ "vpn:hostname": `${"a".repeat(64)}.example.com` }), "vpn:hostname", /1-63/],
  ["hostname is a number", withKeys({ "vpn:hostname": 42 }), "vpn:hostname", /fully qualified/],
  ["region format", withKeys({ "vpn:region": "Chicago" }), "vpn:region", /Linode region id/],
  ["region not a string", withKeys({ "vpn:region": 7 }), "vpn:region", /Linode region id/],
  ["regions not a list", withKeys({ "vpn:regions": "us-ord" }), "vpn:regions", /YAML list|must be a list/],
  ["regions empty and no hostname", withKeys({ "vpn:regions": [] }, ["vpn:hostname"]), "vpn:hostname", /required .* or set vpn:regions/],
  ["regions item not an object", withKeys({ "vpn:regions": ["us-ord"] }, ["vpn:hostname"]), "vpn:regions[0]", /object/],
  [
    "regions duplicate region",
    withKeys(
      {
        "vpn:regions": [
          { region: "us-ord", hostname: "a.example.com" },
          { region: "us-ord", hostname: "b.example.com" },
        ],
      },
      ["vpn:hostname"],
    ),
    "vpn:regions[1].region",
    /twice/,
  ],
  [
    "regions duplicate hostname",
    withKeys(
      {
        "vpn:regions": [
          { region: "us-ord", hostname: "a.example.com" },
          { region: "us-lax", hostname: "a.example.com" },
        ],
      },
      ["vpn:hostname"],
    ),
    "vpn:regions[1].hostname",
    /two regions/,
  ],
  [
    "regions unknown field",
    withKeys({ "vpn:regions": [{ region: "us-ord", hostname: "a.example.com", size: 3 }] }, ["vpn:hostname"]),
    "vpn:regions[0]",
    /unknown field/,
  ],
  [
    "regions hostname outside zone",
    withKeys({ "vpn:regions": [{ region: "us-ord", hostname: "a.example.net" }] }, ["vpn:hostname"]),
    "vpn:regions[0].hostname",
    /not inside the zone/,
  ],
  ["instance type", withKeys({ "vpn:instanceType": "nanode" }), "vpn:instanceType", /Linode plan/],
  ["image unsupported", withKeys({ "vpn:image": "linode/debian11" }), "vpn:image", /linode\/debian12, linode\/ubuntu24.04/],
  ["users missing", withKeys({}, ["vpn:users", "vpn:passwords"]), "vpn:users", /required/],
  ["users empty", withKeys({ "vpn:users": [] }, ["vpn:passwords"]), "vpn:users", /at least one/],
  ["users not a list", withKeys({ "vpn:users": "alice" }), "vpn:users", /YAML list|must be a list/],
  ["users broken JSON text", withKeys({ "vpn:users": "[alice" }), "vpn:users", /YAML list/],
  ["user duplicate", withKeys({ "vpn:users": ["alice", "bob", "alice"] }), "vpn:users[2]", /twice/],
  ["user duplicate by case", withKeys({ "vpn:users": ["alice", "Alice"] }), "vpn:users[1]", /case-insensitively/],
  ["user name with quote", withKeys({ "vpn:users": [`al"ice`] }, ["vpn:passwords"]), "vpn:users[0]", /letters, digits/],
  ["user name with space", withKeys({ "vpn:users": ["al ice"] }, ["vpn:passwords"]), "vpn:users[0]", /letters, digits/],
  ["user name with slash", withKeys({ "vpn:users": ["../etc"] }, ["vpn:passwords"]), "vpn:users[0]", /letters, digits/],
  ["user name with newline", withKeys({ "vpn:users": ["alice\nbob"] }, ["vpn:passwords"]), "vpn:users[0]", /letters, digits/],
  ["user name with wildcard", withKeys({ "vpn:users": ["a*"] }, ["vpn:passwords"]), "vpn:users[0]", /letters, digits/],
  ["user name that is an IPv4 address", withKeys({ "vpn:users": ["10.0.0.1"] }, ["vpn:passwords"]), "vpn:users[0]", /not an IPv4 address/],
  ["user name too long", withKeys({ "vpn:users": ["a".repeat(65)] }, ["vpn:passwords"]), "vpn:users[0]", /1-64/],
  ["user object without name", withKeys({ "vpn:users": [{ staticIpv4: "10.47.83.5" }] }, ["vpn:passwords"]), "vpn:users[0].name", /letters, digits/],
  ["user object unknown field", withKeys({ "vpn:users": [{ name: "carol", admin: true }] }, ["vpn:passwords"]), "vpn:users[0]", /unknown field/],
  [
    "static ip outside pool",
    withKeys({ "vpn:users": [{ name: "carol", staticIpv4: "10.1.2.3" }] }, ["vpn:passwords"]),
    "vpn:users[0].staticIpv4",
    /not a usable address/,
  ],
  [
    "static ip is the network address",
    withKeys({ "vpn:users": [{ name: "carol", staticIpv4: "10.47.83.0" }] }, ["vpn:passwords"]),
    "vpn:users[0].staticIpv4",
    /not a usable address/,
  ],
  [
    "static ip is IPv6",
    withKeys({ "vpn:users": [{ name: "carol", staticIpv4: "2001:db8::5" }] }, ["vpn:passwords"]),
    "vpn:users[0].staticIpv4",
    /IPv4 address/,
  ],
  [
    "static ip given twice",
    withKeys(
      {
        "vpn:users": [
          { name: "carol", staticIpv4: "10.47.83.9" },
          { name: "dave", staticIpv4: "10.47.83.9" },
        ],
      },
      ["vpn:passwords"],
    ),
    "vpn:users[1].staticIpv4",
    /already given to carol/,
  ],
  ["passwords not a map", withKeys({ "vpn:passwords": ["x"] }), "vpn:passwords", /map of user name/],
  ["password for unknown user", withKeys({ "vpn:passwords": { mallory: "longenough" } }), "vpn:passwords.mallory", /no matching user/],
  ["password too short", withKeys({ "vpn:passwords": { alice: "short" } }), "vpn:passwords.alice", /8-128 printable/],
  ["password with newline", withKeys({ "vpn:passwords": { alice: "line1\nline2long" } }), "vpn:passwords.alice", /printable ASCII/],
  ["password with non-ASCII", withKeys({ "vpn:passwords": { alice: "pässwörter" } }), "vpn:passwords.alice", /printable ASCII/],
  ["password with leading space", withKeys({ "vpn:passwords": { alice: " leadingspace" } }), "vpn:passwords.alice", /leading or trailing/],
  ["ssh cidr malformed", withKeys({ "vpn:sshAllowedCidrs": ["203.0.113.0"] }), "vpn:sshAllowedCidrs[0]", /CIDR/],
  ["ssh cidr host bits", withKeys({ "vpn:sshAllowedCidrs": ["203.0.113.7/24"] }), "vpn:sshAllowedCidrs[0]", /did you mean 203.0.113.0\/24/],
  ["ssh cidr prefix too long", withKeys({ "vpn:sshAllowedCidrs": ["2001:db8::/129"] }), "vpn:sshAllowedCidrs[0]", /longer than \/128/],
  ["ssh cidrs empty", withKeys({ "vpn:sshAllowedCidrs": [] }), "vpn:sshAllowedCidrs", /must not be empty/],
  ["dns not an ip", withKeys({ "vpn:dnsServers": ["dns.quad9.net"] }), "vpn:dnsServers[0]", /IPv4 or IPv6 address/],
  ["dns duplicate", withKeys({ "vpn:dnsServers": ["9.9.9.9", "9.9.9.9"] }), "vpn:dnsServers[1]", /twice/],
  ["pool not a CIDR", withKeys({ "vpn:poolV4": "10.47.83.0" }), "vpn:poolV4", /CIDR/],
  ["pool public", withKeys({ "vpn:poolV4": "8.8.8.0/24" }), "vpn:poolV4", /private range/],
  ["pool IPv6", withKeys({ "vpn:poolV4": "fd00::/64" }), "vpn:poolV4", /IPv4 CIDR/],
  ["pool too large", withKeys({ "vpn:poolV4": "10.0.0.0/8" }), "vpn:poolV4", /\/16 and \/28/],
  ["pool overlaps Linode private network", withKeys({ "vpn:poolV4": "192.168.200.0/24" }), "vpn:poolV4", /Linode's private network/],
  ["pool overlaps a pushed DNS server", withKeys({ "vpn:dnsServers": ["10.47.83.1"] }), "vpn:poolV4", /overlaps the pushed DNS server/],
  ["compat unknown", withKeys({ "vpn:compat": "insecure" }), "vpn:compat", /modern, legacy/],
  ["unique ids unknown", withKeys({ "vpn:uniqueIds": "yes" }), "vpn:uniqueIds", /never, no, keep, replace/],
  ["acme server http", withKeys({ "vpn:acmeServer": "http://acme.example.com/dir" }), "vpn:acmeServer", /https:\/\//],
  ["acme email", withKeys({ "vpn:acmeEmail": "not-an-email" }), "vpn:acmeEmail", /e-mail address/],
  ["renew days not a number", withKeys({ "vpn:renewBeforeDays": "soon" }), "vpn:renewBeforeDays", /whole number from 0 to 365/],
  ["revoke not a boolean", withKeys({ "vpn:revokeOnDestroy": "maybe" }), "vpn:revokeOnDestroy", /true or false/],
  ["apple kill switch not a boolean", withKeys({ "vpn:appleKillSwitch": "on" }), "vpn:appleKillSwitch", /true or false/],
  ["dns provider unknown", withKeys({ "vpn:dnsProvider": "route53" }), "vpn:dnsProvider", /linode, rfc2136/],
  ["rfc2136 settings missing", withKeys({ "vpn:dnsProvider": "rfc2136" }), "vpn:rfc2136", /required/],
  [
    "rfc2136 secret missing",
    withKeys({ "vpn:dnsProvider": "rfc2136", "vpn:rfc2136": { server: "ns1.example.com", keyName: "k" } }),
    "vpn:rfc2136Secret",
    /base64 TSIG/,
  ],
  [
    "rfc2136 bad algorithm",
    withKeys({
      "vpn:dnsProvider": "rfc2136",
      "vpn:rfc2136": { server: "ns1.example.com", keyName: "k", algorithm: "hmac-md5" },
      "vpn:rfc2136Secret": "c2VjcmV0",
    }),
    "vpn:rfc2136.algorithm",
    /hmac-sha256/,
  ],
  ["on-demand unknown", withKeys({ "vpn:onDemand": "sometimes" }), "vpn:onDemand", /off, always, untrusted-wifi/],
  ["trusted ssid too long", withKeys({ "vpn:onDemand": "untrusted-wifi", "vpn:trustedSsids": ["x".repeat(33)] }), "vpn:trustedSsids[0]", /1-32 bytes/],
  ["trusted ssids without untrusted-wifi", withKeys({ "vpn:trustedSsids": ["Home"] }), "vpn:trustedSsids", /only applies/],
  ["unknown key (typo)", withKeys({ "vpn:hostName": "x" }), "vpn:hostName", /did you mean vpn:hostname/],
];

for (const [name, raw, key, allowed] of BAD) {
  test(`rejects: ${name}`, () => {
    const found = problems(raw);
    const mine = found.filter((p) => p.startsWith(`${key}: `));
    assert.ok(mine.length > 0, `no problem names ${key}; got:\n${found.join("\n")}`);
    assert.ok(
      mine.some((p) => allowed.test(p)),
      `message for ${key} does not say what is allowed (${allowed}):\n${mine.join("\n")}`,
    );
  });
}

test("at least 30 distinct bad inputs are covered", () => {
  assert.ok(BAD.length >= 30);
  assert.equal(new Set(BAD.map(([n]) => n)).size, BAD.length);
});

test("every problem is reported at once, and passwords are never echoed", () => {
  const secret = "hunter2\nsecret";
  const found = problems(withKeys({ "vpn:compat": "x", "vpn:poolV4": "nope", "vpn:passwords": { alice: secret } }));
  assert.ok(found.length >= 3, found.join("\n"));
  assert.ok(!found.join("\n").includes("hunter2"));
});

test("the error message lists each problem on its own line, key first", () => {
  assert.throws(
    () => validateConfig(withKeys({ "vpn:compat": "x" })),
    (e: Error) => /Invalid stack configuration:\n  - vpn:compat: must be one of modern, legacy/.test(e.message),
  );
});
