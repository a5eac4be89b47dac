// Linode labels from hostile, long and colliding project/stack names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertLinodeLabel, FIREWALL_LABEL_MAX, firewallLabel, INSTANCE_LABEL_MAX, instanceLabel, labelHash, linodeTag } from "../../components/naming";

/** Linode's rules (see components/naming.ts), written out independently of the implementation. */
function linodeAccepts(label: string, max: number): boolean {
  return (
    label.length >= 3 &&
    label.length <= max &&
    /^[A-Za-z]/.test(label) &&
    /[A-Za-z0-9]$/.test(label) &&
    /^[A-Za-z0-9._-]+$/.test(label) &&
    !/--|__|\.\./.test(label) &&
    !/[-_.]{2}/.test(label)
  );
}

// Pulumi stack and project names allow [A-Za-z0-9_.-], up to 100 characters.
const HOSTILE = [
  "dev",
  "a",
  "0day",
  "_under",
  "-dash",
  "..dots..",
  "a--b__c..d",
  "x".repeat(40),
  "production-eu-central-with-a-rather-long-name-for-a-stack",
  "9".repeat(100),
  "_.-_.-",
  "Mixed.Case_Stack-Name",
];
const REGIONS = ["us-ord", "ap-southeast", "in-bom-2", "eu-central"];

test("every label satisfies Linode's rules and the provider's lengths (instance 50, firewall 32)", () => {
  for (const stack of HOSTILE) {
    for (const region of REGIONS) {
      for (const project of ["linode-ikev2-vpn", "x".repeat(100)]) {
        const vm = instanceLabel({ project, stack, region });
        const fw = firewallLabel({ project, stack, region });
        assert.ok(linodeAccepts(vm, INSTANCE_LABEL_MAX), `instance label ${JSON.stringify(vm)} for stack ${JSON.stringify(stack)}`);
        assert.ok(linodeAccepts(fw, FIREWALL_LABEL_MAX), `firewall label ${JSON.stringify(fw)} for stack ${JSON.stringify(stack)}`);
      }
    }
  }
});

test("readable: vpn-<stack>-<region>-<hash>; the region stays whole in both lengths", () => {
  const id = { project: "linode-ikev2-vpn", stack: "dev", region: "us-ord" };
  const hash = labelHash(["linode-ikev2-vpn", "dev", "us-ord"]);
  assert.match(hash, /^[0-9a-f]{6}$/);
  assert.equal(instanceLabel(id), `vpn-dev-us-ord-${hash}`);
  assert.equal(firewallLabel(id), `vpn-dev-us-ord-${hash}`);
  const long = { project: "p", stack: "production-eu-central-with-a-rather-long-name", region: "ap-southeast" };
  assert.match(firewallLabel(long), /^vpn-producti-ap-southeast-[0-9a-f]{6}$/);
  assert.match(instanceLabel(long), /^vpn-production-eu-central-with-ap-southeast-[0-9a-f]{6}$/);
});

test("unique per (project, stack, region): same stack in two projects, long stacks sharing a prefix", () => {
  const seen = new Map<string, string>();
  const add = (label: string, who: string) => {
    assert.ok(!seen.has(label), `${who} clashes with ${seen.get(label)} on ${label}`);
    seen.set(label, who);
  };
  const prefix = "x".repeat(60);
  for (const project of ["vpn-home", "vpn-work"]) {
    for (const stack of ["dev", `${prefix}-a`, `${prefix}-b`, "a.b", "a-b", "a_b"]) {
      for (const region of ["us-ord", "eu-central"]) {
        add(instanceLabel({ project, stack, region }), `${project}/${stack}/${region}`);
      }
    }
  }
});

test("stable: the same identity gives the same label every time", () => {
  const id = { project: "linode-ikev2-vpn", stack: "a--b__c..d", region: "us-ord" };
  assert.equal(instanceLabel(id), instanceLabel({ ...id }));
  assert.equal(firewallLabel(id), "vpn-a-b-c-d-us-ord-" + labelHash([id.project, id.stack, id.region]));
});

test("tags: at most 50 characters of Linode's characters", () => {
  assert.equal(linodeTag(["vpn", "dev"]), "vpn-dev");
  assert.equal(linodeTag(["vpn", "x".repeat(80)]).length, 50);
  assert.equal(linodeTag(["vpn", "a b/c"]), "vpn-a-b-c");
});

test("assertLinodeLabel refuses what Linode refuses", () => {
  for (const bad of ["ab", "1abc", "-abc", "abc-", "a--b", "a__b", "a..b", "a-.b", "x".repeat(51), "a b c"]) {
    assert.throws(() => assertLinodeLabel(bad, 50), /not a valid Linode label/, bad);
  }
  assert.equal(assertLinodeLabel("vpn-dev.x_y", 50), "vpn-dev.x_y");
});
