// The whole program (program.ts, exactly what index.ts runs) under Pulumi mocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mockCertificateMaterial, runProgram, ProgramRun } from "./mocks";
import * as pulumi from "@pulumi/pulumi";
import { inboundRules } from "../../components/firewall";
import { stepScripts, STEP_ORDER } from "../../model/steps";
import { renderServerFiles } from "../../model/server/files";
import { validateConfig } from "../../config/validate";
import { BASE, THREE_REGIONS } from "./fixtures";

/** Stack config as the engine hands it over: every value a string, structured ones as JSON. */
function engineConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const SECRET_KEYS = ["vpn:passwords", "linode:token"];
const TOKEN = "linode-token-do-not-leak-0123456789";

async function run(raw: Record<string, unknown>, stack = "dev"): Promise<ProgramRun> {
  const { program } = await import("../../program");
  return runProgram(engineConfig({ ...raw, "linode:token": TOKEN }), () => program(), { stack, secretKeys: SECRET_KEYS });
}

const T = {
  region: "vpn:index:VpnRegion",
  users: "vpn:index:VpnUsers",
  instance: "linode:index/instance:Instance",
  firewall: "linode:index/firewall:Firewall",
  range: "linode:index/ipv6Range:Ipv6Range",
  record: "linode:index/domainRecord:DomainRecord",
  rdns: "linode:index/rdns:Rdns",
  command: "command:remote:Command",
  password: "random:index/randomPassword:RandomPassword",
  key: "tls:index/privateKey:PrivateKey",
};

let one: ProgramRun;

test("one region: every resource the issue lists, once", async () => {
  one = await run(BASE);
  const count = (t: string) => one.ofType(t).length;
  assert.equal(count(T.region), 1);
  assert.equal(count(T.users), 1);
  assert.equal(count(T.instance), 1);
  assert.equal(count(T.firewall), 1);
  assert.equal(count(T.range), 1);
  assert.equal(count(T.record), 2);
  assert.equal(count(T.rdns), 2);
  assert.equal(count(T.command), 4);
  // root password of the VM + bob's generated password (alice has a configured one)
  assert.deepEqual(
    one
      .ofType(T.password)
      .map((r) => r.name)
      .sort(),
    ["us-ord-root", "users-bob"],
  );
  assert.equal(one.byName("users-bob").inputs.length >= 24, true);
  assert.equal(one.byName("us-ord-ssh").inputs.algorithm, "ED25519");
  assert.ok(one.calls.includes("linode:index/getDomain:getDomain"));
});

test("instance: region, plan, image, labels naming stack and region, key-only SSH", () => {
  const vm = one.byName("us-ord-vm");
  assert.equal(vm.inputs.region, "us-ord");
  assert.equal(vm.inputs.type, "g6-nanode-1");
  assert.equal(vm.inputs.image, "linode/debian12");
  assert.match(vm.inputs.label, /^vpn-dev-us-ord-[0-9a-f]{6}$/, "stack, region and a hash of project/stack/region (naming.ts)");
  assert.deepEqual(vm.inputs.tags, ["vpn-dev", "vpn-us-ord"]);
  assert.match(vm.inputs.authorizedKeys[0], /^ssh-ed25519 \S+$/);
  assert.ok(vm.secretInputs.includes("rootPass"));
  assert.equal(vm.inputs.firewallId, undefined, "firewallId on the instance would force its replacement");
});

test("firewall: drop by default, IKE/NAT-T and ICMP from anywhere, SSH from the allowed CIDRs, attached by device list", () => {
  const fw = one.byName("us-ord-fw");
  assert.equal(fw.inputs.inboundPolicy, "DROP");
  assert.equal(fw.inputs.outboundPolicy, "ACCEPT");
  assert.deepEqual(fw.inputs.inbounds, inboundRules(["0.0.0.0/0", "::/0"]));
  const ike = (fw.inputs.inbounds as any[]).find((r: any) => r.label === "ike-natt")!;
  assert.deepEqual([ike.protocol, ike.ports, ike.ipv4s, ike.ipv6s], ["UDP", "500,4500", ["0.0.0.0/0"], ["::/0"]]);
  assert.equal(fw.inputs.linodes.length, 1);
  assert.equal(typeof fw.inputs.linodes[0], "number");
  assert.equal(one.byName("us-ord-v6range").inputs.linodeId, fw.inputs.linodes[0]);
});

test("IPv6: a routed /64 on the instance", () => {
  const r = one.byName("us-ord-v6range");
  assert.equal(r.inputs.prefixLength, 64);
  assert.equal(typeof r.inputs.linodeId, "number");
  const region = (one.outputs.regions as any)["us-ord"];
  assert.match(region.ipv6Range, /^2001:db8:beef:[0-9a-f]+::\/64$/);
});

test("DNS: A and AAAA for the hostname in the zone, reverse DNS after each record", () => {
  const a = one.byName("us-ord-a");
  const aaaa = one.byName("us-ord-aaaa");
  const region = (one.outputs.regions as any)["us-ord"];
  assert.deepEqual([a.inputs.recordType, a.inputs.name, a.inputs.target, a.inputs.domainId, a.inputs.ttlSec], ["A", "vpn", region.ipv4, 424242, 300]);
  assert.deepEqual([aaaa.inputs.recordType, aaaa.inputs.name, aaaa.inputs.target], ["AAAA", "vpn", region.ipv6]);
  assert.doesNotMatch(aaaa.inputs.target, /\//);
  assert.deepEqual(
    one.byName("us-ord-rdns-v4").dependsOn,
    ["us-ord-02-install-packages", "us-ord-a"],
    "after its record and the package install, beside push and apply",
  );
  assert.deepEqual(one.byName("us-ord-rdns-v6").dependsOn, ["us-ord-02-install-packages", "us-ord-aaaa"]);
  assert.equal(one.byName("us-ord-rdns-v4").inputs.rdns, "vpn.example.com");
});

test("remote steps: in order, the rendered scripts, secrets only on the push step's stdin", () => {
  const scripts = stepScripts();
  const names = STEP_ORDER.map((s, i) => `us-ord-${String(i + 1).padStart(2, "0")}-${s}`);
  assert.deepEqual(
    one
      .ofType(T.command)
      .map((c) => c.name)
      .sort(),
    [...names].sort(),
  );
  assert.deepEqual(one.byName(names[0]).dependsOn.sort(), ["us-ord-fw", "us-ord-v6range", "us-ord-vm"], "SSH starts only once the Cloud Firewall is in place");
  for (let i = 1; i < names.length; i++) assert.deepEqual(one.byName(names[i]).dependsOn, [names[i - 1]], `${names[i]} waits for ${names[i - 1]}`);
  for (const [i, step] of STEP_ORDER.entries()) {
    const c = one.byName(names[i]);
    assert.equal(c.inputs.create, scripts[step]);
    assert.equal(c.inputs.delete, undefined, "destroy must not need SSH to a dead VM");
    assert.equal(c.inputs.connection.user, "root");
    assert.ok(c.secretInputs.includes("connection"), "the SSH private key is secret");
    assert.equal(c.inputs.logging, step === "push-files" ? "none" : "stdoutAndStderr");
  }
  const push = one.byName(names[2]);
  assert.ok(push.secretInputs.includes("stdin"));
  assert.ok(push.secretInputs.includes("triggers"), "the bundle hash is secret");
  const applied = one.byName(names[3]);
  assert.deepEqual(applied.inputs.triggers, push.inputs.triggers, "apply re-runs exactly when the files change");
});

test("the push step delivers exactly the rendered server files for the deployed addresses and passwords", () => {
  const push = one.byName("us-ord-03-push-files");
  const region = (one.outputs.regions as any)["us-ord"];
  const passwords = one.outputs.passwords as Record<string, string>;
  const config = validateConfig(BASE);
  const dyn = one.ofType("pulumi-nodejs:dynamic:Resource")[0];
  assert.ok(dyn, "a dynamic ACME certificate resource");
  const expected = renderServerFiles({
    config,
    region: config.regions[0],
    addresses: { ipv4: region.ipv4, ipv6: region.ipv6, ipv6Range: region.ipv6Range },
    passwords,
    certificate: { certPem: mockCertificateMaterial().certPem, chainPem: mockCertificateMaterial().certPem, keyPem: mockCertificateMaterial().keyPem },
  });
  const delivered = decode(push.inputs.stdin);
  assert.deepEqual(
    delivered.map((f) => f.path),
    expected.map((f) => f.path),
  );
  for (const f of expected) assert.equal(delivered.find((d) => d.path === f.path)!.content, f.content, f.path);
  assert.ok(passwords.alice === "correct horse battery" && passwords.bob.startsWith("MockPw"));
});

function decode(stdin: string): Array<{ mode: string; path: string; content: string }> {
  return stdin
    .trimEnd()
    .split("\n")
    .map((l) => {
      const [mode, path, b64] = l.split(" ");
      return { mode, path, content: Buffer.from(b64, "base64").toString("utf8") };
    });
}

test("outputs: passwords are secret; the region summary is plain and carries no secret", () => {
  assert.ok(one.secretOutputs.includes("passwords"));
  assert.ok(!one.secretOutputs.includes("regions"));
  const plain = JSON.stringify([one.outputs.regions, one.outputs.certificateNotAfter]);
  for (const pw of Object.values(one.outputs.passwords as Record<string, string>)) assert.ok(!plain.includes(pw));
  assert.doesNotMatch(plain, /PRIVATE KEY|MOCKSECRET/);
  assert.deepEqual(one.outputs.certificateNotAfter, { "us-ord": "2027-03-01T00:00:00.000Z" });
});

test("profiles: a secret output, per user and region, every format, Apple signed with the region's certificate", () => {
  assert.ok(one.secretOutputs.includes("profiles"));
  const profiles = one.outputs.profiles as Record<string, Record<string, Record<string, string>>>;
  assert.deepEqual(Object.keys(profiles).sort(), ["alice", "bob"]);
  const set = profiles.alice["us-ord"];
  assert.deepEqual(Object.keys(set).sort(), ["android", "apple", "appleSigned", "linuxNm", "linuxSwanctl", "windows"]);
  assert.match(set.apple, /<plist/);
  assert.ok(set.apple.includes("vpn.example.com"));
  assert.ok(Buffer.from(set.appleSigned, "base64").includes(Buffer.from(set.apple)), "the signed profile carries the profile");
});

test("no secret appears in a non-secret resource input", () => {
  const secrets = [TOKEN, "correct horse battery", ...Object.values(one.outputs.passwords as Record<string, string>)];
  for (const r of one.resources) {
    const visible = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k) && k !== "__provider"));
    const text = JSON.stringify(visible);
    for (const s of secrets) assert.ok(!text.includes(s), `${r.type} ${r.name} exposes a secret in ${Object.keys(visible).join(",")}`);
    assert.doesNotMatch(text, /MOCKSECRET/, `${r.name} exposes a private key`);
  }
});

test("the certificate is ordered in parallel with the VM: it depends on nothing of the instance", () => {
  for (const dyn of one.ofType("pulumi-nodejs:dynamic:Resource").filter((d) => d.name.endsWith("-cert-acme"))) {
    assert.ok(!dyn.dependsOn.some((d) => d.includes("-vm")), dyn.name);
    assert.doesNotMatch(JSON.stringify(dyn.inputs), /203\.0\.113\./);
    // The serialized provider is stored in plain state: it must capture no secret.
    const provider = String(dyn.inputs.__provider ?? "");
    assert.ok(provider.length > 0);
    assert.ok(!provider.includes(TOKEN), "the Linode token is captured in the serialized provider");
    assert.doesNotMatch(provider, /PRIVATE KEY/);
    assert.ok(dyn.secretInputs.includes("dnsCredential") && dyn.secretInputs.includes("accountKeyPem"), dyn.secretInputs.join(","));
  }
});

test("determinism: two evaluations register identical resource inputs", async () => {
  const again = await run(BASE);
  const norm = (r: ProgramRun) => JSON.stringify(r.resources.map((x) => [x.type, x.name, x.inputs, x.secretInputs, x.dependsOn]).sort());
  assert.equal(norm(again), norm(one));
});

test("three regions: one VpnRegion each with its own VM, firewall, range, records and steps; users shared", async () => {
  const three = await run(THREE_REGIONS, "prod");
  const count = (t: string) => three.ofType(t).length;
  assert.equal(count(T.region), 3);
  assert.equal(count(T.users), 1);
  assert.equal(count(T.instance), 3);
  assert.equal(count(T.firewall), 3);
  assert.equal(count(T.range), 3);
  assert.equal(count(T.record), 6);
  assert.equal(count(T.rdns), 6);
  assert.equal(count(T.command), 12);
  assert.deepEqual(
    three
      .ofType(T.instance)
      .map((i) => i.inputs.region)
      .sort(),
    ["ap-south", "eu-central", "us-ord"],
  );
  assert.equal(new Set(three.ofType(T.instance).map((i) => i.inputs.label)).size, 3);
  assert.deepEqual(
    three
      .ofType(T.record)
      .filter((r) => r.inputs.recordType === "A")
      .map((r) => r.inputs.name)
      .sort(),
    ["fra.vpn", "ord.vpn", "sin.vpn"],
  );
  assert.deepEqual(Object.keys(three.outputs.regions as object).sort(), ["ap-south", "eu-central", "us-ord"]);
  assert.equal(new Set(Object.values(three.outputs.regions as Record<string, any>).map((r) => r.ipv6Range)).size, 3);
});

test("a bad config fails before any resource is registered, naming the key", async () => {
  const { program } = await import("../../program");
  let caught: unknown;
  const r = await runProgram(engineConfig({ ...BASE, "vpn:poolV4": "8.8.8.0/24", "linode:token": TOKEN }), () => {
    try {
      return program();
    } catch (e) {
      caught = e;
      return {};
    }
  });
  // A RunError: the engine prints its message without the program's stack trace.
  assert.ok(caught instanceof pulumi.RunError, String(caught));
  assert.match(caught.message, /vpn:poolV4: must lie in a private range/);
  const registered = r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack");
  assert.equal(registered.length, 0, `registered: ${registered.map((x) => x.name).join(", ")}`);
});

test("the lifecycle: one generated RADIUS secret per region, only in secret inputs; the install step gets FreeRADIUS", async () => {
  const raw = { ...BASE, "vpn:users": [{ name: "alice", maxDevices: 2 }, "bob"] };
  const run1 = await run(raw);
  assert.deepEqual(
    run1
      .ofType(T.password)
      .map((r) => r.name)
      .sort(),
    ["us-ord-radius-secret", "us-ord-root", "users-bob"],
  );
  const secret = run1.byName("us-ord-radius-secret");
  assert.equal(secret.inputs.special, false);
  assert.ok(secret.inputs.length >= 32);
  assert.equal(run1.byName("us-ord-02-install-packages").inputs.create, stepScripts({ aaa: true })["install-packages"]);
  const pushed = decode(run1.byName("us-ord-03-push-files").inputs.stdin);
  const clients = pushed.find((f) => f.path === "/etc/vpn-radius/clients.conf")!.content;
  const value = /secret = '([^']+)'/.exec(clients)![1];
  assert.match(value, /^MockPw/, "the region's generated secret reaches FreeRADIUS");
  assert.ok(pushed.find((f) => f.path === "/etc/strongswan.d/zz-vpn.conf")!.content.includes(value), "and charon");
  for (const r of run1.resources) {
    const visible = JSON.stringify(
      Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k) && k !== "__provider" && !(r.name === "us-ord-radius-secret"))),
    );
    assert.ok(!visible.includes(value), `${r.name} exposes the RADIUS secret`);
  }
  // Without the lifecycle: no secret, the install step as before.
  assert.ok(!one.ofType(T.password).some((r) => r.name.endsWith("radius-secret")));
  assert.equal(one.byName("us-ord-02-install-packages").inputs.create, stepScripts()["install-packages"]);
});

test("a rotation replaces only that user's generated password (keepers); without one the inputs are unchanged", async () => {
  const rotated = await run({ ...BASE, "vpn:rotations": { bob: 1 } });
  assert.deepEqual(rotated.byName("users-bob").inputs.keepers, { rotation: "1" });
  assert.equal(one.byName("users-bob").inputs.keepers, undefined);
});
