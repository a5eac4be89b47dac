// `npm run state-bucket`: the team's state bucket and its two keys through the Linode
// API (here the local world's, test/engine/world/api/objectStorage.ts), and the exact
// `pulumi login` it prints. That URL form is what the engine tier logs the real CLI
// into against a real S3 server (test/engine/s3-backend.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startLinodeApi } from "../engine/world/api";
import type { LinodeApiHandle } from "../engine/world/api";
import { clusterOf, stateBackendUrl } from "../../scripts/state-bucket";

const ROOT = join(__dirname, "..", "..");
const TOKEN = "world-token";

async function api(t: { after(fn: () => Promise<void>): void }): Promise<LinodeApiHandle> {
  const h = await startLinodeApi({
    token: TOKEN,
    zones: ["example.com"],
    regions: [{ id: "us-ord", capabilities: ["Linodes", "Object Storage"] }],
    machines: { async create() {}, async destroy() {}, async routeRange() {}, async unrouteRange() {} },
    firewalls: { async apply() {} },
    dns: {
      async apply() {},
      async resolve() {
        return [];
      },
    },
    addresses: { ipv4: (i) => `203.0.113.${10 + i}`, ipv6Slaac: (i) => `2001:db8:7700::${100 + i}`, range64: (i) => `2001:db8:77${10 + i}::/64` },
  });
  t.after(() => h.stop());
  return h;
}

/** Runs the command asynchronously: the API answers from this process. */
function run(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", "ts-node/register/transpile-only", join(ROOT, "scripts/state-bucket.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, LINODE_URL: "", LINODE_TOKEN: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

test("the backend URL: endpoint with its scheme, the cluster as region, path-style addressing", () => {
  assert.equal(clusterOf("us-ord-1.linodeobjects.com"), "us-ord-1");
  assert.equal(
    stateBackendUrl("team-state", "us-ord-1.linodeobjects.com", "us-ord-1"),
    "s3://team-state?endpoint=https://us-ord-1.linodeobjects.com&region=us-ord-1&use_path_style=true",
  );
  assert.equal(stateBackendUrl("b", "http://127.0.0.1:8333", "us-ord-1"), "s3://b?endpoint=http://127.0.0.1:8333&region=us-ord-1&use_path_style=true");
});

test("one command: bucket, a read-write and a read-only key limited to it, the login line and the GitHub secrets", async (t) => {
  const h = await api(t);
  const r = await run(["--bucket", "team-state", "--region", "us-ord"], { LINODE_URL: h.url, LINODE_TOKEN: TOKEN });
  assert.equal(r.status, 0, r.stderr);
  const posts = h.requests.filter((q) => q.method === "POST");
  assert.deepEqual(
    posts.map((q) => [q.path, q.status]),
    [
      ["/v4/object-storage/buckets", 200],
      ["/v4/object-storage/keys", 200],
      ["/v4/object-storage/keys", 200],
    ],
  );
  assert.deepEqual(posts[0].body, { label: "team-state", region: "us-ord" });
  assert.deepEqual((posts[1].body as any).bucket_access, [{ bucket_name: "team-state", region: "us-ord", permissions: "read_write" }]);
  assert.deepEqual((posts[2].body as any).bucket_access, [{ bucket_name: "team-state", region: "us-ord", permissions: "read_only" }]);
  assert.match(r.stdout, /^  pulumi login 's3:\/\/team-state\?endpoint=https:\/\/us-ord-1\.linodeobjects\.com&region=us-ord-1&use_path_style=true'$/m);
  assert.match(r.stdout, /^  export AWS_ACCESS_KEY_ID='[0-9A-F]{20}' AWS_SECRET_ACCESS_KEY='[\w-]{40}'$/m);
  for (const name of [
    "PULUMI_BACKEND_URL",
    "STATE_ACCESS_KEY_ID",
    "STATE_SECRET_ACCESS_KEY",
    "STATE_READ_ONLY_ACCESS_KEY_ID",
    "STATE_READ_ONLY_SECRET_ACCESS_KEY",
  ]) {
    assert.match(r.stdout, new RegExp(`\\b${name} = \\S+`), name);
  }

  // A second run (a lost secret): the bucket is reused, new keys are made.
  const again = await run(["--bucket", "team-state", "--region", "us-ord", "--json"], { LINODE_URL: h.url, LINODE_TOKEN: TOKEN });
  assert.equal(again.status, 0, again.stderr);
  const doc = JSON.parse(again.stdout);
  assert.equal(doc.reused, true);
  assert.notEqual(doc.readWrite.access_key, doc.readOnly.access_key);
});

test("refusals: no token is a usage error; a region without the bucket fails with the API's reason", async (t) => {
  const h = await api(t);
  const none = await run(["--bucket", "team-state", "--region", "us-ord"], { LINODE_URL: h.url });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^state-bucket: LINODE_TOKEN is not set/);
  const bad = await run(["--bucket", "team-state", "--region", "mars-1"], { LINODE_URL: h.url, LINODE_TOKEN: TOKEN });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^state-bucket: creating bucket team-state in mars-1: HTTP 400: region: Region is invalid$/m);
  const name = await run(["--bucket", "Team_State", "--region", "us-ord"], { LINODE_URL: h.url, LINODE_TOKEN: TOKEN });
  assert.equal(name.status, 2);
});
