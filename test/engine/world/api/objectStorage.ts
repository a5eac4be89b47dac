// object-storage/buckets and object-storage/keys: the control plane of Linode Object
// Storage, as `npm run state-bucket` uses it (the data plane, S3, is not served here:
// the engine tier runs a real S3 server for that). Shapes from the API reference,
// "Create an Object Storage bucket" (bucket: label, region, hostname, s3_endpoint,
// endpoint_type, ...) and "Create an Object Storage key",
// https://techdocs.akamai.com/linode-api/reference/keys (key: id, label, access_key,
// secret_key, limited, bucket_access[], regions[{id, s3_endpoint}]).
// The secret key is returned by the create call only, as on Linode.
import { randomBytes } from "node:crypto";
import type { Router } from "./http";
import { ApiError, idParam, invalid, notFound, objectBody, paged } from "./http";
import type { World } from "./state";
import { linodeTime } from "./state";

interface BucketRec {
  label: string;
  region: string;
  created: string;
}

interface KeyRec {
  id: number;
  label: string;
  access_key: string;
  secret_key: string;
  bucket_access: { bucket_name: string; region: string; permissions: "read_only" | "read_write" }[] | null;
  regions: string[];
}

interface ObjState {
  buckets: Map<string, BucketRec>;
  keys: Map<number, KeyRec>;
  nextKey: number;
}

const STATE = new WeakMap<World, ObjState>();
const stateOf = (w: World): ObjState => {
  let s = STATE.get(w);
  if (!s) STATE.set(w, (s = { buckets: new Map(), keys: new Map(), nextKey: 4100 }));
  return s;
};

/** The E1-style endpoint of a region ("us-ord" -> "us-ord-1.linodeobjects.com"), as Linode names its clusters. */
export const s3EndpointOf = (region: string): string => `${region}-1.linodeobjects.com`;

/** Bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET_LABEL = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function bucketBody(b: BucketRec) {
  const s3 = s3EndpointOf(b.region);
  return {
    label: b.label,
    region: b.region,
    cluster: `${b.region}-1`,
    created: b.created,
    hostname: `${b.label}.${s3}`,
    s3_endpoint: s3,
    endpoint_type: "E1",
    objects: 0,
    size: 0,
  };
}

function keyBody(k: KeyRec, withSecret: boolean) {
  return {
    id: k.id,
    label: k.label,
    access_key: k.access_key,
    secret_key: withSecret ? k.secret_key : "[REDACTED]",
    limited: k.bucket_access !== null,
    bucket_access: k.bucket_access?.map((a) => ({ ...a, cluster: `${a.region}-1` })) ?? null,
    regions: k.regions.map((id) => ({ id, s3_endpoint: s3EndpointOf(id), endpoint_type: "E1" })),
  };
}

function region(world: World, raw: unknown): string {
  if (typeof raw !== "string" || !world.opts.regions.some((r) => r.id === raw)) throw invalid("region", "Region is invalid");
  return raw;
}

function createBucket(world: World, body: Record<string, unknown>) {
  const s = stateOf(world);
  const label = body.label;
  if (typeof label !== "string" || !BUCKET_LABEL.test(label))
    throw invalid("label", "Label must be 3-63 characters: lowercase letters, numbers, dots and hyphens");
  const r = region(world, body.region);
  // Bucket names are unique across all of Object Storage.
  if (s.buckets.has(label)) throw new ApiError(400, [{ field: "label", reason: "A bucket with this label already exists" }]);
  const b: BucketRec = { label, region: r, created: linodeTime() };
  s.buckets.set(label, b);
  world.event("obj_bucket_create", { id: 0, label, type: "object_storage_bucket", url: `/v4/object-storage/buckets/${r}/${label}` }, "finished");
  return bucketBody(b);
}

function createKey(world: World, body: Record<string, unknown>) {
  const s = stateOf(world);
  if (typeof body.label !== "string" || body.label.length < 1 || body.label.length > 50) throw invalid("label", "Label must be 1-50 characters");
  let access: KeyRec["bucket_access"] = null;
  if (body.bucket_access !== undefined) {
    if (!Array.isArray(body.bucket_access)) throw invalid("bucket_access", "Must be a list");
    access = body.bucket_access.map((a: any, i: number) => {
      const field = `bucket_access[${i}]`;
      if (!a || typeof a !== "object") throw invalid(field, "Must be an object");
      const r = region(world, a.region);
      if (!s.buckets.get(a.bucket_name) || s.buckets.get(a.bucket_name)!.region !== r) throw invalid(`${field}.bucket_name`, "Bucket not found in this region");
      if (a.permissions !== "read_only" && a.permissions !== "read_write") throw invalid(`${field}.permissions`, "Must be read_only or read_write");
      return { bucket_name: a.bucket_name as string, region: r, permissions: a.permissions as "read_only" | "read_write" };
    });
  }
  const regions = access ? [...new Set(access.map((a) => a.region))] : Array.isArray(body.regions) ? body.regions.map((r) => region(world, r)) : [];
  const k: KeyRec = {
    id: s.nextKey++,
    label: body.label,
    access_key: randomBytes(10).toString("hex").toUpperCase(),
    secret_key: randomBytes(30).toString("base64url"),
    bucket_access: access,
    regions,
  };
  s.keys.set(k.id, k);
  world.event("obj_access_key_create", { id: k.id, label: k.label, type: "object_storage_key", url: `/v4/object-storage/keys/${k.id}` }, "finished");
  return keyBody(k, true);
}

export function registerObjectStorage(router: Router, world: World): void {
  router
    .on("GET object-storage/buckets", (req) => paged(req, [...stateOf(world).buckets.values()].map(bucketBody)))
    .on("POST object-storage/buckets", (req) => createBucket(world, objectBody(req)))
    .on("GET object-storage/buckets/:region/:label", (_req, [r, label]) => {
      const b = stateOf(world).buckets.get(label);
      if (!b || b.region !== r) throw notFound();
      return bucketBody(b);
    })
    .on("GET object-storage/keys", (req) =>
      paged(
        req,
        [...stateOf(world).keys.values()].map((k) => keyBody(k, false)),
      ),
    )
    .on("POST object-storage/keys", (req) => createKey(world, objectBody(req)))
    .on("GET object-storage/keys/:id", (_req, [id]) => {
      const k = stateOf(world).keys.get(idParam(id));
      if (!k) throw notFound();
      return keyBody(k, false);
    })
    .on("DELETE object-storage/keys/:id", (_req, [id]) => {
      if (!stateOf(world).keys.delete(idParam(id))) throw notFound();
      return {};
    });
}

/** What the world's Object Storage holds (for tests): buckets and keys, secrets left out. */
export function objectStorageState(world: World): { buckets: ReturnType<typeof bucketBody>[]; keys: ReturnType<typeof keyBody>[] } {
  const s = stateOf(world);
  return { buckets: [...s.buckets.values()].map(bucketBody), keys: [...s.keys.values()].map((k) => keyBody(k, false)) };
}
