// Config the program would otherwise ignore or accept too trustingly: misspelt keys
// and namespaces, a bare user name, secrets stored in plain text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, validateConfig } from "../../config/validate";
import { unknownKeyProblems } from "../../config/unknownKeys";
import { BASE } from "./fixtures";

function problemsOf(raw: Record<string, unknown>, opts = {}): string[] {
  try {
    validateConfig(raw, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
}

test("a key in a misspelt namespace is refused with the nearest known key", () => {
  for (const [key, near] of [
    ["vnp:compat", "vpn:compat"],
    ["vpm:users", "vpn:users"],
    ["vpnn:onDemand", "vpn:onDemand"],
    ["VPN:compat", "vpn:compat"],
    ["linod:token", "linode:token"],
  ]) {
    const p = problemsOf({ ...BASE, [key]: "legacy" });
    assert.equal(p.length, 1, `${key}: ${p.join("; ")}`);
    assert.ok(p[0].startsWith(`${key}: `), p[0]);
    assert.ok(p[0].includes(`did you mean ${near}?`), p[0]);
  }
});

test("a misspelt vpn: key gets the nearest known key, not only a case match", () => {
  const p = problemsOf({ ...BASE, "vpn:comapt": "legacy" });
  assert.deepEqual(p, ["vpn:comapt: is not a known key (did you mean vpn:compat?); see docs/configuration.md"]);
});

test("other tools' namespaces and the providers' keys pass untouched", () => {
  assert.deepEqual(
    unknownKeyProblems(["aws:region", "gcp:project", "k8s:context", "linode:token", "linode:url", "pulumi:tags", "command:x", "tls:y", "random:z"]),
    [],
  );
});

test("`vpn:users: alice` gives one message that says how to write it", () => {
  const p = problemsOf({ ...BASE, "vpn:users": "alice", "vpn:passwords": {} });
  assert.equal(p.length, 1, p.join("; "));
  assert.match(p[0], /^vpn:users: must be a list .*\[alice\]/);
});

test("secret-contract keys stored in plain text are refused when the engine says so", () => {
  const secret = new Set(["vpn:passwords"]);
  const rfc = { ...BASE, "vpn:dnsProvider": "rfc2136", "vpn:rfc2136": { server: "192.0.2.53", keyName: "acme." }, "vpn:rfc2136Secret": "c2VjcmV0" };
  const p = problemsOf(rfc, { isSecret: (k: string) => secret.has(k) });
  assert.equal(p.length, 1, p.join("; "));
  assert.match(p[0], /^vpn:rfc2136Secret: is stored in plain text .*pulumi config set --secret vpn:rfc2136Secret/);
  assert.deepEqual(problemsOf(rfc, { isSecret: () => true }), []);
  // Plain passwords likewise; unset (or empty) secret keys need nothing.
  assert.match(problemsOf(BASE, { isSecret: () => false }).join("\n"), /^vpn:passwords: is stored in plain text .*--path 'vpn:passwords.<user>'/);
  const { ["vpn:passwords"]: _, ...noPasswords } = BASE;
  assert.deepEqual(problemsOf({ ...noPasswords, "vpn:passwords": "{}" }, { isSecret: () => false }), []);
});

test("vpn:acmeDnsResolvers takes ip, ip:port and [ipv6]:port, and refuses the rest by index", () => {
  const ok = validateConfig({ ...BASE, "vpn:acmeDnsResolvers": ["203.0.113.1:53", "192.0.2.53", "2001:db8::53", "[2001:db8::53]:5353"] });
  assert.deepEqual(ok.acme.dnsResolvers, ["203.0.113.1:53", "192.0.2.53", "2001:db8::53", "[2001:db8::53]:5353"]);
  assert.deepEqual(validateConfig(BASE).acme.dnsResolvers, []);
  for (const bad of ["ns1.example.com", "203.0.113.1:99999", "2001:db8::53:53x", "1.2.3.4; rm -rf /"]) {
    const p = problemsOf({ ...BASE, "vpn:acmeDnsResolvers": ["192.0.2.1", bad] });
    assert.equal(p.length, 1, `${bad}: ${p}`);
    assert.match(p[0], /^vpn:acmeDnsResolvers\[1\]: must be a resolver address/);
  }
});
