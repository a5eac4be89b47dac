// What keeps later `up`s working: replacing the VM in one run, the order of the
// firewall, the SSH steps and reverse DNS, the hostname pre-flight check, the
// downtime notice, and labels that fit Linode for any project/stack name.
import assert from "node:assert/strict";
import Module from "node:module";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, ProgramRun } from "./mocks";
import { BASE } from "./fixtures";
import { downtimeWarning } from "../../components/replacementNotice";

const TOKEN = "linode-token-do-not-leak-0123456789";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

function engineConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

interface Run extends ProgramRun {
  opts: Map<string, pulumi.CustomResourceOptions>;
}

async function run(raw: Record<string, unknown> = BASE, stack = "dev"): Promise<Run> {
  const { program } = await import("../../program");
  const opts = new Map<string, pulumi.CustomResourceOptions>();
  const r = await runProgram(
    engineConfig({ ...raw, "linode:token": TOKEN, "linode:url": "http://127.0.0.1:9/v4" }),
    () => {
      // Mocks do not see resource options: record them on the way in.
      pulumi.runtime.registerStackTransformation((a) => {
        opts.set(a.name, a.opts);
        return undefined;
      });
      return program();
    },
    { stack, secretKeys: ["vpn:passwords", "linode:token"] },
  );
  return Object.assign(r, { opts });
}

function loadProvider(text: string): any {
  const m = new Module("serialized-provider.js") as Module & { _compile(code: string, filename: string): void };
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(text, "serialized-provider.js");
  return (m.exports as { handler(): unknown }).handler();
}

let one: Run;

test("the VM is replaced delete-first, and so are what belongs to it (range, reverse DNS)", async () => {
  one = await run();
  assert.equal(one.opts.get("us-ord-vm")?.deleteBeforeReplace, true, "Linode refuses a second VM with the same label");
  assert.equal(one.opts.get("us-ord-v6range")?.deleteBeforeReplace, true);
  assert.deepEqual(
    one.opts.get("us-ord-v6range")?.replaceOnChanges,
    ["linodeId"],
    "a new VM gets a new range instead of a reassignment of one that went with the old VM",
  );
  assert.equal(one.opts.get("us-ord-rdns-v4")?.deleteBeforeReplace, true);
  assert.equal(one.opts.get("us-ord-rdns-v6")?.deleteBeforeReplace, true);
});

test("reverse DNS gets a long create timeout and comes after the package install", () => {
  for (const n of ["us-ord-rdns-v4", "us-ord-rdns-v6"]) {
    assert.deepEqual(one.byName(n).inputs.timeouts, { create: "45m", update: "45m" }, `${n}: the provider's own timeouts attribute`);
    assert.ok(one.byName(n).dependsOn.includes("us-ord-02-install-packages"), n);
  }
});

test("the first SSH step waits for the Cloud Firewall", () => {
  assert.ok(one.byName("us-ord-01-wait-ready").dependsOn.includes("us-ord-fw"));
});

test("the hostname guard comes before both records, with the token secret and the zone's record name", async () => {
  const guard = one.byName("us-ord-hostname-guard");
  assert.equal(guard.type, DYNAMIC);
  assert.equal(guard.inputs.hostname, "vpn.example.com");
  assert.equal(guard.inputs.recordName, "vpn");
  assert.equal(guard.inputs.domainId, 424242);
  assert.equal(guard.inputs.apiUrl, "http://127.0.0.1:9/v4");
  assert.equal(guard.inputs.token, TOKEN);
  assert.ok(guard.secretInputs.includes("token"));
  assert.ok(!String(guard.inputs.__provider).includes(TOKEN), "no token in the serialized provider");
  // Loaded the way Pulumi's dynamic provider host loads it: it asks nothing when the
  // guard exists, and reports an unreachable API as a failure naming the hostname.
  const p = loadProvider(String(guard.inputs.__provider));
  const inputs = { ...guard.inputs, __provider: undefined };
  assert.deepEqual((await p.check(inputs, inputs)).failures, []);
  const failures = (await p.check({}, inputs)).failures;
  assert.equal(failures[0].property, "hostname");
  assert.match(failures[0].reason, /cannot check the existing DNS records of vpn\.example\.com: GET http:\/\/127\.0\.0\.1:9\/v4\/domains\/424242\/records/);
  assert.deepEqual(one.byName("us-ord-a").dependsOn, ["us-ord-hostname-guard"]);
  assert.deepEqual(one.byName("us-ord-aaaa").dependsOn, ["us-ord-hostname-guard"]);
  // Nothing in Linode or at the CA before it: the VM (and so the firewall, the /64 and
  // the steps) and the certificate order wait for it, and it needs nothing of the VM.
  assert.ok(one.byName("us-ord-vm").dependsOn.includes("us-ord-hostname-guard"));
  assert.ok(one.byName("us-ord-cert-acme").dependsOn.includes("us-ord-hostname-guard"));
  assert.deepEqual(
    guard.dependsOn.filter((d) => d.includes("vm")),
    [],
  );
  assert.deepEqual(guard.inputs.ownLabels, [one.byName("us-ord-vm").inputs.label, "vpn-dev-us-ord"]);
});

test("the downtime notice holds what forces a new VM, and its serialized provider warns on a new image", async () => {
  const notice = one.byName("us-ord-server-downtime");
  const vm = one.byName("us-ord-vm");
  assert.deepEqual(notice.inputs.server, {
    region: "us-ord",
    image: vm.inputs.image,
    instanceType: vm.inputs.type,
    sshPublicKey: vm.inputs.authorizedKeys[0],
    hostKey: one.byName("us-ord-01-wait-ready").inputs.connection.hostKey,
  });
  const p = loadProvider(String(notice.inputs.__provider));
  const olds = { name: "us-ord", hostname: "vpn.example.com", server: notice.inputs.server };
  const lines: string[] = [];
  const orig = console.error;
  console.error = (m: string) => lines.push(m);
  try {
    assert.deepEqual(await p.diff("id", olds, olds), { changes: false });
    const reordered = { ...olds, server: Object.fromEntries(Object.entries(olds.server).reverse()) };
    assert.deepEqual(await p.diff("id", reordered, olds), { changes: false }, "key order from the state is no change");
    assert.equal(lines.length, 0, "an unchanged server says nothing");
    const d = await p.diff("id", olds, { ...olds, server: { ...olds.server, image: "linode/ubuntu24.04" } });
    assert.equal(d.changes, true);
  } finally {
    console.error = orig;
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0], /REPLACES the VPN server vpn\.example\.com \(image linode\/debian12 -> linode\/ubuntu24\.04\).*VPN is DOWN/);
});

test("downtimeWarning: replacement, resize, unknown values, first deployment", () => {
  const server = { region: "us-ord", image: "linode/debian12", instanceType: "g6-nanode-1", sshPublicKey: "ssh-ed25519 AAAA", hostKey: "ssh-ed25519 BBBB" };
  const base = { name: "us-ord", hostname: "vpn.example.com", server };
  assert.equal(downtimeWarning({}, base), undefined);
  assert.equal(downtimeWarning(base, base), undefined);
  assert.match(downtimeWarning(base, { ...base, server: { ...server, instanceType: "g6-standard-1" } })!, /RESIZES .*g6-nanode-1 -> g6-standard-1/);
  assert.match(downtimeWarning(base, { ...base, server: { ...server, sshPublicKey: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } })!, /REPLACES .*a new SSH key/);
  assert.match(downtimeWarning(base, { ...base, server: { ...server, region: "eu-central" } })!, /region us-ord -> eu-central/);
  assert.match(downtimeWarning(base, { ...base, server: { ...server, hostKey: "ssh-ed25519 CCCC" } })!, /REPLACES .*a new SSH host key/);
});

test("a 60-character stack name and two projects' `dev` stacks give valid, distinct labels", async () => {
  const long = await run(BASE, `${"s".repeat(30)}.-_${"t".repeat(27)}`);
  const vm = long.byName("us-ord-vm").inputs.label as string;
  const fw = long.byName("us-ord-fw").inputs.label as string;
  assert.ok(vm.length <= 50 && /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/.test(vm), vm);
  assert.ok(fw.length <= 32 && /^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$/.test(fw), fw);
  assert.match(fw, /-us-ord-[0-9a-f]{6}$/);
  const { instanceLabel } = await import("../../components/naming");
  assert.equal(one.byName("us-ord-vm").inputs.label, instanceLabel({ project: "linode-ikev2-vpn", stack: "dev", region: "us-ord" }));
  assert.notEqual(instanceLabel({ project: "other-vpn", stack: "dev", region: "us-ord" }), one.byName("us-ord-vm").inputs.label);
});
