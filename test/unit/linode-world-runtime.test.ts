// The pure parts of the local Linode world's runtime (test/engine/world): the
// nftables table that enforces Cloud Firewalls, the zone file BIND serves, the
// address plan, the sandbox's shell quoting. The real enforcement is proven by
// test/engine/world.test.ts (root); these pin the rendering.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type { FirewallState } from "../engine/world/api/backends";
import { addressPlan, instanceName } from "../engine/world/addresses";
import { nftPorts, renderTable } from "../engine/world/nft";
import { txtData, zoneFile } from "../engine/world/dns";
import { exportLines, shellQuote } from "../engine/world/daemon";

const EXIT = { mirrorV4: ["203.0.113.80"], resolvers: ["10.255.255.53"] };

function fw(over: Partial<FirewallState> = {}): FirewallState {
  return {
    id: 7,
    label: "vpn-fw",
    status: "enabled",
    inbound_policy: "DROP",
    outbound_policy: "ACCEPT",
    inbound: [
      { action: "ACCEPT", protocol: "TCP", ports: "22", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }, label: "ssh" },
      { action: "ACCEPT", protocol: "UDP", ports: "500,4500", addresses: { ipv4: ["0.0.0.0/0"] }, label: "ike" },
    ],
    outbound: [{ action: "DROP", protocol: "TCP", ports: "25", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }, label: "no-smtp" }],
    devices: [{ linodeId: 1, ipv4: "203.0.113.11", ipv6Slaac: "2001:db8:7700::101", range: "2001:db8:770b::/64" }],
    ...over,
  };
}

test("address plan: instance i (1-based) as agreed in INTERFACES.md", () => {
  assert.equal(addressPlan.ipv4(1), "203.0.113.11");
  assert.equal(addressPlan.ipv6Slaac(1), "2001:db8:7700::101");
  assert.equal(addressPlan.range64(1), "2001:db8:770b::/64");
  assert.equal(addressPlan.range64(6), "2001:db8:7710::/64");
  assert.throws(() => addressPlan.ipv4(0), /outside the world's plan/);
  assert.throws(() => addressPlan.ipv4(140), /outside the world's plan/);
  assert.equal(instanceName(52000001), "vs-i52000001");
});

test("firewall: inbound rules match the remote source, outbound the remote destination; ACCEPT returns, policy DROP drops", () => {
  const t = renderTable(EXIT, [fw()]);
  assert.match(
    t,
    /chain fw7_in \{\n    ip saddr 0\.0\.0\.0\/0 meta l4proto tcp th dport \{ 22 \} return comment "ssh"\n    ip6 saddr ::\/0 meta l4proto tcp th dport \{ 22 \} return comment "ssh"\n    ip saddr 0\.0\.0\.0\/0 meta l4proto udp th dport \{ 500, 4500 \} return comment "ike"\n    drop\n  \}/,
  );
  // The IKE rule lists no IPv6 addresses: it matches no IPv6 traffic.
  assert.doesNotMatch(t, /ip6 saddr ::\/0 meta l4proto udp/);
  assert.match(
    t,
    /chain fw7_out \{\n    ip daddr 0\.0\.0\.0\/0 meta l4proto tcp th dport \{ 25 \} drop comment "no-smtp"\n    ip6 daddr ::\/0 meta l4proto tcp th dport \{ 25 \} drop comment "no-smtp"\n  \}/,
  );
  // Every address of the device, the routed range included, leads to the firewall.
  for (const m of [
    "ip daddr 203.0.113.11 jump fw7_in",
    "ip6 daddr 2001:db8:7700::101 jump fw7_in",
    "ip6 daddr 2001:db8:770b::/64 jump fw7_in",
    "ip saddr 203.0.113.11 jump fw7_out",
    "ip6 saddr 2001:db8:770b::/64 jump fw7_out",
  ]) {
    assert.ok(t.includes(m), m);
  }
  // Stateful, in the three hooks that see instance traffic.
  assert.equal(t.match(/ct state established,related accept/g)?.length, 3);
});

test("firewall: a disabled firewall or one without devices enforces nothing; the exit allows only the mirror and the resolver", () => {
  for (const f of [fw({ status: "disabled" }), fw({ devices: [] })]) {
    const t = renderTable(EXIT, [f]);
    assert.doesNotMatch(t, /fw7_/);
  }
  const t = renderTable(EXIT, []);
  assert.match(
    t,
    /ip daddr \{ 203\.0\.113\.80 \} tcp dport \{ 80, 443 \} accept\n\s+iifname "vs-br" oifname != "vs-br" ip daddr \{ 10\.255\.255\.53 \} meta l4proto \{ tcp, udp \} th dport 53 accept\n\s+iifname "vs-br" oifname != "vs-br" drop/,
  );
});

test("firewall: ports are checked (the API validates first; the runtime never loads a bad rule)", () => {
  assert.equal(nftPorts("22,500-600, 4500"), "22, 500-600, 4500");
  assert.throws(() => nftPorts("22;drop"), /bad item/);
  assert.throws(() => nftPorts("0"), /bad item/);
  assert.throws(() => nftPorts("70000"), /bad item/);
  assert.throws(
    () => renderTable(EXIT, [fw({ inbound: [{ action: "ACCEPT", protocol: "TCP", ports: "22 }", addresses: { ipv4: ["0.0.0.0/0"] }, label: "x" }] })]),
    /bad item/,
  );
});

test("firewall: the rendered table is valid nft syntax (nft --check), when nft is installed and permitted", (t) => {
  let ok = true;
  try {
    execFileSync("nft", ["--check", "-f", "-"], { input: renderTable(EXIT, [fw()]), stdio: ["pipe", "ignore", "pipe"] });
  } catch (err) {
    const msg = String((err as { stderr?: Buffer }).stderr ?? err);
    if (/ENOENT|Operation not permitted|not found/.test(msg)) {
      ok = false;
      t.skip(`nft not usable here: ${msg.split("\n")[0]}`);
    } else throw err;
  }
  if (ok) assert.ok(true);
});

test("zone file: SOA serial, the NS with its address, records as typed; TXT quoted, escaped and split at 255 bytes", () => {
  const z = zoneFile("sandbox.example.net", 42, [
    { name: "vpn", type: "A", target: "203.0.113.11", ttl_sec: 300 },
    { name: "vpn", type: "AAAA", target: "2001:db8:7700::101", ttl_sec: 300 },
    { name: "_acme-challenge.vpn", type: "TXT", target: 'a "b" \\c', ttl_sec: 30 },
    { name: "", type: "CNAME", target: "other.example.org", ttl_sec: 300 },
  ]);
  assert.match(z, /^@ IN SOA ns1\.sandbox\.example\.net\. hostmaster\.sandbox\.example\.net\. 42 /m);
  assert.match(z, /^ns1 IN A 203\.0\.113\.1$/m);
  assert.match(z, /^vpn 300 IN A 203\.0\.113\.11$/m);
  assert.match(z, /^vpn 300 IN AAAA 2001:db8:7700::101$/m);
  assert.match(z, /^_acme-challenge\.vpn 30 IN TXT "a \\"b\\" \\\\c"$/m);
  assert.match(z, /^@ 300 IN CNAME other\.example\.org\.$/m);
  assert.equal(txtData("x".repeat(300)), `"${"x".repeat(255)}" "${"x".repeat(45)}"`);
  assert.throws(
    () => zoneFile("z.test", 1, [{ name: "bad name", type: "A", target: "203.0.113.1", ttl_sec: 300 }]),
    /"bad name" in z\.test is not a valid name/,
  );
  assert.throws(() => zoneFile("z.test", 1, [{ name: "x", type: "MX", target: "mail", ttl_sec: 300 }]), /MX: type not served/);
});

test("sandbox exports are shell-quoted: eval gives back exactly the values", () => {
  const env = { A: "plain", B: 'it\'s $HOME `x` "q"', C: "" };
  const lines = exportLines(env);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const out = execFileSync("sh", ["-c", `${lines}printf '%s\\n' "$A" "$B" "$C"`], { encoding: "utf8" });
  assert.equal(out, 'plain\nit\'s $HOME `x` "q"\n\n');
});
