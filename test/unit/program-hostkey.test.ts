// The program under Pulumi mocks: every remote step pins the server's SSH host key,
// the first-boot user data carries that key, the region check runs before anything
// is registered, and the `servers` output.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { runProgram, ProgramRun } from "./mocks";
import { hostKeyLine, RECORD_HOST_KEY_SCRIPT } from "../../model/server/cloudInit";
import { BASE, THREE_REGIONS, withKeys } from "./fixtures";

const SECRET_KEYS = ["vpn:passwords", "linode:token"];
const T = { command: "command:remote:Command", key: "tls:index/privateKey:PrivateKey", instance: "linode:index/instance:Instance" };

function engineConfig(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...raw, "linode:token": "tok" }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Runs program.ts; collects what it says through pulumi.log.warn. */
async function run(raw: Record<string, unknown>, opts: { imageCapabilities?: string[] } = {}): Promise<ProgramRun & { warnings: string[] }> {
  const { program } = await import("../../program");
  const warnings: string[] = [];
  const log = pulumi.log as { warn: (msg: string, res?: pulumi.Resource) => Promise<void> };
  const original = log.warn;
  log.warn = async (msg: string) => void warnings.push(msg);
  try {
    return { ...(await runProgram(engineConfig(raw), () => program(), { secretKeys: SECRET_KEYS, ...opts })), warnings };
  } finally {
    log.warn = original;
  }
}

function assertEd25519Key(r: ProgramRun, name: string): void {
  const key = r.byName(name);
  assert.equal(key.type, T.key);
  assert.equal(key.inputs.algorithm, "ED25519");
}

let one: ProgramRun & { warnings: string[] };

test("Metadata region: a generated ED25519 host key, and every step pins exactly it", async () => {
  one = await run(BASE);
  assertEd25519Key(one, "us-ord-host-key");
  const hostKey = (one.outputs.servers as any)["us-ord"].hostKey as string;
  assert.match(hostKey, /^ssh-ed25519 AAAAMOCK[0-9a-f]{16}$/, "the generated key's public line, without comment or newline");
  const steps = one.ofType(T.command);
  assert.equal(steps.length, 4);
  for (const s of steps) assert.equal(s.inputs.connection.hostKey, hostKey, `${s.name} pins the host key`);
  assert.ok(!steps.some((s) => s.name.includes("record-host-key")), "no trust-on-first-use step where Metadata exists");
  assert.deepEqual(
    one.warnings.filter((w) => w.includes("Metadata")),
    [],
  );
});

test("Metadata region: the user data installs that key at first boot and is secret", () => {
  const vm = one.byName("us-ord-vm");
  assert.ok(vm.secretInputs.includes("metadatas"), "the user data carries the host's private key");
  assert.equal(vm.inputs.metadatas.length, 1);
  const text = Buffer.from(vm.inputs.metadatas[0].userData, "base64").toString("utf8");
  assert.ok(text.startsWith("#cloud-config\n"));
  const doc = YAML.parse(text);
  const hostKey = (one.outputs.servers as any)["us-ord"].hostKey;
  assert.equal(doc.ssh_keys.ed25519_public, hostKey);
  assert.match(doc.ssh_keys.ed25519_private, /^-----BEGIN OPENSSH PRIVATE KEY-----\nMOCKSECRET[0-9a-f]{64}\n-----END OPENSSH PRIVATE KEY-----\n$/);
  assert.ok(
    doc.ssh_keys.ed25519_private.includes(require("node:crypto").createHash("sha256").update("us-ord-host-key").digest("hex")),
    "the private half of us-ord-host-key, not of the client key",
  );
  assert.equal(doc.ssh_deletekeys, true);
  assert.deepEqual(doc.ssh_genkeytypes, []);
});

test("output servers: secret, exactly { hostname, host, user, privateKey, hostKey } per region", () => {
  assert.ok(one.secretOutputs.includes("servers"));
  const servers = one.outputs.servers as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(servers), ["us-ord"]);
  const s = servers["us-ord"];
  assert.deepEqual(Object.keys(s).sort(), ["host", "hostKey", "hostname", "privateKey", "user"]);
  const region = (one.outputs.regions as any)["us-ord"];
  assert.deepEqual([s.hostname, s.host, s.user], ["vpn.example.com", region.ipv4, "root"]);
  assert.equal(s.privateKey, one.ofType(T.command)[0].inputs.connection.privateKey, "the key the steps log in with");
  assert.match(s.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  assert.notEqual(s.hostKey, one.byName("us-ord-vm").inputs.authorizedKeys[0], "host key and client key are different keys");
});

test("three regions: each region's steps pin its own host key", async () => {
  const three = await run(THREE_REGIONS);
  const servers = three.outputs.servers as Record<string, { hostKey: string }>;
  assert.deepEqual(Object.keys(servers).sort(), ["ap-south", "eu-central", "us-ord"]);
  assert.equal(new Set(Object.values(servers).map((s) => s.hostKey)).size, 3);
  for (const s of three.ofType(T.command)) {
    const region = Object.keys(servers).find((r) => s.name.startsWith(`${r}-`))!;
    assert.equal(s.inputs.connection.hostKey, servers[region].hostKey, s.name);
  }
});

test("region without Metadata: said in preview, key recorded on the first connection, pinned for every later step", async () => {
  const r = await run(withKeys({ "vpn:region": "zz-nometadata" }));
  assert.ok(
    r.warnings.some((w) => w.includes("zz-nometadata") && /trusted on first use/.test(w)),
    r.warnings.join("\n"),
  );
  assert.ok(!r.resources.some((x) => x.name === "zz-nometadata-host-key"), "no generated key that no VM would get");
  assert.equal(r.byName("zz-nometadata-vm").inputs.metadatas, undefined);
  const record = r.byName("zz-nometadata-00-record-host-key");
  assert.equal(record.inputs.create, RECORD_HOST_KEY_SCRIPT);
  assert.equal(record.inputs.connection.hostKey, undefined, "the one unpinned connection");
  assert.equal(record.inputs.stdin, undefined, "it sends nothing");
  const pinned = r.ofType(T.command).filter((c) => c !== record);
  assert.equal(pinned.length, 4);
  const hostKey = hostKeyLine(`ssh-ed25519 AAAATOFU${require("node:crypto").createHash("sha256").update(record.name).digest("hex").slice(0, 16)}`);
  for (const s of pinned) assert.equal(s.inputs.connection.hostKey, hostKey, s.name);
  assert.ok(r.byName("zz-nometadata-01-wait-ready").dependsOn.includes(record.name), "pinned steps run after the key is recorded");
  assert.equal((r.outputs.servers as any)["zz-nometadata"].hostKey, hostKey);
});

test("an image the API reports without cloud-init: no user data, trust on first use, said so naming the image", async () => {
  const r = await run(BASE, { imageCapabilities: [] });
  assert.ok(r.calls.includes("linode:index/getImage:getImage"));
  assert.ok(
    r.warnings.some((w) => w.includes("us-ord") && w.includes("cloud-init capability for image linode/debian12")),
    r.warnings.join("\n"),
  );
  assert.equal(r.byName("us-ord-vm").inputs.metadatas, undefined, "Linode refuses user data for such an image");
  assert.ok(r.resources.some((x) => x.name === "us-ord-00-record-host-key"));
});

async function failedRun(raw: Record<string, unknown>, opts: { imageMissing?: boolean } = {}): Promise<{ error: unknown; registered: string[] }> {
  const { program } = await import("../../program");
  let error: unknown;
  const r = await runProgram(
    engineConfig(raw),
    () =>
      Promise.resolve()
        .then(() => program())
        .catch((e: unknown) => {
          error = e;
          return {};
        }),
    { secretKeys: SECRET_KEYS, ...opts },
  );
  return { error, registered: r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").map((x) => x.name) };
}

test("an unknown region fails before any resource, naming the key, the nearest regions and the list", async () => {
  const { error, registered } = await failedRun(withKeys({ "vpn:region": "us-mars" }));
  assert.ok(error instanceof pulumi.RunError, `a RunError: the engine prints the message, no stack trace (${String(error)})`);
  assert.match(error.message, /vpn:region: us-mars is not a region the Linode API offers; nearest: [a-z-]+, [a-z-]+, [a-z-]+; available: .*us-ord/);
  assert.deepEqual(registered, []);
});

test("an unknown region in vpn:regions is named by its index", async () => {
  const raw = withKeys(
    {
      "vpn:regions": [
        { region: "us-ord", hostname: "a.vpn.example.com" },
        { region: "eu-centrall", hostname: "b.vpn.example.com" },
      ],
    },
    ["vpn:hostname"],
  );
  const { error, registered } = await failedRun(raw);
  assert.match(String((error as Error)?.message), /vpn:regions\[1\]\.region: eu-centrall is not a region the Linode API offers; nearest: eu-central,/);
  assert.doesNotMatch(String((error as Error).message), /regions\[0\]/);
  assert.deepEqual(registered, []);
});

test("an image the API does not offer fails before any resource, one line naming vpn:image", async () => {
  const { error, registered } = await failedRun(withKeys({ "vpn:image": "linode/ubuntu24.04" }), { imageMissing: true });
  assert.ok(error instanceof pulumi.RunError, `a RunError: the engine prints the message, no stack trace (${String(error)})`);
  assert.match(error.message, /vpn:image: linode\/ubuntu24\.04 is not an image the Linode API offers/);
  assert.deepEqual(registered, []);
});

test("index.ts exports the outputs (promises of them) with their secrecy: servers, passwords, profiles secret", async () => {
  const secret: Record<string, boolean> = {};
  await runProgram(
    engineConfig(BASE),
    async () => {
      const index = require("../../index");
      for (const k of ["regions", "certificateNotAfter", "passwords", "profiles", "servers"]) secret[k] = await (pulumi.output(index[k]) as any).isSecret;
      return {};
    },
    { secretKeys: SECRET_KEYS },
  );
  assert.deepEqual(secret, { regions: false, certificateNotAfter: false, passwords: true, profiles: true, servers: true });
});
