// npm run state-bucket -- --bucket <name> --region <region>
// The team's shared Pulumi state on Linode Object Storage, in one command: creates the
// bucket and two access keys limited to it (read-write for `up` and laptops, read-only
// for pull-request previews and the drift check), then prints the exact login and the
// GitHub secrets to set. Linode API v4, Object Storage: "Create an Object Storage
// bucket" (POST /object-storage/buckets) and "Create an Object Storage key"
// (https://techdocs.akamai.com/linode-api/reference/keys: bucket_access limits a key
// to one bucket); the token needs object_storage:read_write, once.
// The backend URL follows the gocloud.dev s3blob opener the Pulumi CLI 3.248 uses
// (gocloud.dev v0.46, AWS SDK v2: `endpoint` with its scheme, `region`, `use_path_style`;
// `s3ForcePathStyle` is the older spelling of the same flag; credentials from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): https://www.pulumi.com/docs/iac/concepts/state-and-backends/#aws-s3
import { EXIT_OK, runCli, UsageError } from "./lib/cli";
import type { CommandSpec } from "./lib/cli";

const SPEC: CommandSpec = {
  name: "state-bucket",
  synopsis: "--bucket <name> --region <region> [--json]",
  about: [
    "Creates a Linode Object Storage bucket for the team's Pulumi state, a read-write and a",
    "read-only access key limited to that bucket, and prints the `pulumi login` URL and the",
    "GitHub secrets (docs/gitops.md). LINODE_TOKEN: a token with object_storage:read_write",
    "(used once; the pipelines never get it). LINODE_URL: another API (tests).",
    "The secret keys are shown by Linode only now: store them at once.",
  ].join("\n"),
  options: [
    { flag: "--bucket", value: "<name>", text: "bucket name (3-63 lowercase letters, digits, dots, hyphens; unique across Linode)", required: true },
    { flag: "--region", value: "<region>", text: "Object Storage region, e.g. us-ord, de-fra-2", required: true },
    { flag: "--json", text: "print everything as one JSON document instead" },
  ],
  exitOk: "bucket and keys created (or the bucket already was yours)",
  exitFailed: "the Linode API refused (token scope, name taken, region without Object Storage)",
};

/** The DIY-backend URL for a bucket behind an S3 endpoint ("us-ord-1.linodeobjects.com" or "http://127.0.0.1:8333"). */
export function stateBackendUrl(bucket: string, endpoint: string, region: string): string {
  const withScheme = /^[a-z]+:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  // The AWS SDK signs for `region`; Linode's clusters answer to their cluster id ("us-ord-1").
  return `s3://${bucket}?endpoint=${withScheme}&region=${region}&use_path_style=true`;
}

/** Linode's cluster id, the first label of the S3 endpoint ("us-ord-1.linodeobjects.com" -> "us-ord-1"). */
export const clusterOf = (s3Endpoint: string): string => s3Endpoint.replace(/^[a-z]+:\/\//, "").split(".")[0];

interface Key {
  access_key: string;
  secret_key: string;
  id: number;
}

/** The parts of the Linode API's answers this script reads: a bucket's endpoint, a key, or the errors. */
type ApiJson = Partial<Key> & { s3_endpoint?: string; hostname?: string; errors?: { field?: string; reason: string }[] };

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: ApiJson }> {
  const res = await fetch(`${base}/v4/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: ApiJson;
  try {
    json = text ? (JSON.parse(text) as ApiJson) : {};
  } catch {
    json = { errors: [{ reason: text.slice(0, 200) }] };
  }
  return { status: res.status, json };
}

const reasons = (json: ApiJson): string => (json?.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason)).join("; ") || "no reason given";

export async function createStateBucket(opts: { bucket: string; region: string; token: string; apiUrl: string }) {
  const { bucket, region, token } = opts;
  const base = opts.apiUrl.replace(/\/+$/, "").replace(/\/v4$/, "");
  let b = await api(base, token, "POST", "object-storage/buckets", { label: bucket, region });
  let reused = false;
  if (b.status !== 200) {
    // Already ours (a second run): use it. Someone else's: the name is taken.
    const mine = await api(base, token, "GET", `object-storage/buckets/${encodeURIComponent(region)}/${encodeURIComponent(bucket)}`);
    if (mine.status !== 200) throw new Error(`creating bucket ${bucket} in ${region}: HTTP ${b.status}: ${reasons(b.json)}`);
    b = mine;
    reused = true;
  }
  const s3Endpoint: string = b.json.s3_endpoint ?? String(b.json.hostname ?? "").replace(`${bucket}.`, "");
  if (!s3Endpoint) throw new Error(`the API named no S3 endpoint for bucket ${bucket}`);
  const key = async (permissions: "read_write" | "read_only"): Promise<Key> => {
    const r = await api(base, token, "POST", "object-storage/keys", {
      label: `pulumi-state-${bucket}-${permissions === "read_write" ? "rw" : "ro"}`.slice(0, 50),
      bucket_access: [{ bucket_name: bucket, region, permissions }],
    });
    if (r.status !== 200) throw new Error(`creating the ${permissions} key for ${bucket}: HTTP ${r.status}: ${reasons(r.json)}`);
    return r.json as Key;
  };
  const readWrite = await key("read_write");
  const readOnly = await key("read_only");
  return { bucket, region, reused, s3Endpoint, backendUrl: stateBackendUrl(bucket, s3Endpoint, clusterOf(s3Endpoint)), readWrite, readOnly };
}

function render(r: Awaited<ReturnType<typeof createStateBucket>>): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `${r.reused ? "Using your existing" : "Created"} bucket ${r.bucket} in ${r.region} (${r.s3Endpoint}), and two keys limited to it.`,
    "The secret keys are shown only now: store them before you close this terminal.",
    "",
    "A laptop (read-write key), then every pulumi command uses the bucket:",
    `  export AWS_ACCESS_KEY_ID=${q(r.readWrite.access_key)} AWS_SECRET_ACCESS_KEY=${q(r.readWrite.secret_key)}`,
    `  pulumi login ${q(r.backendUrl)}`,
    "",
    "GitHub (Settings > Environments; docs/gitops.md):",
    `  every environment    PULUMI_BACKEND_URL = ${r.backendUrl}`,
    `  production           STATE_ACCESS_KEY_ID = ${r.readWrite.access_key}`,
    `                       STATE_SECRET_ACCESS_KEY = ${r.readWrite.secret_key}`,
    `  preview, drift       STATE_READ_ONLY_ACCESS_KEY_ID = ${r.readOnly.access_key}`,
    `                       STATE_READ_ONLY_SECRET_ACCESS_KEY = ${r.readOnly.secret_key}`,
    "",
  ].join("\n");
}

async function main(opts: Record<string, string | true>): Promise<number> {
  const token = process.env.LINODE_TOKEN;
  if (!token) throw new UsageError("LINODE_TOKEN is not set (a Linode token with object_storage:read_write)");
  const bucket = String(opts.bucket);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new UsageError(`--bucket ${bucket}: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit`);
  const r = await createStateBucket({ bucket, region: String(opts.region), token, apiUrl: process.env.LINODE_URL || "https://api.linode.com" });
  process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : render(r));
  return EXIT_OK;
}

if (require.main === module) runCli(SPEC, main);
