// Stable identifiers for client profiles. Every UUID is a name-based (version 5) UUID of
// the stack, region and user, so re-rendering unchanged inputs gives identical files:
// a preview shows no diff, and re-importing a profile replaces the old one instead of
// installing a duplicate.
import { createHash } from "node:crypto";

/** This project's UUID namespace (random, fixed forever: changing it re-keys every installed profile). */
const NAMESPACE = "3f1c0e5a-8d2b-4c1e-9a77-5b2f6d04c9e1";

export type IdKind = "apple-profile" | "apple-vpn" | "android" | "networkmanager";

/** RFC 4122 version-5 UUID of `name` in `namespace`. */
function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const h = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The UUID of one profile object. `region` is absent for the per-user Apple profile. */
export function profileUuid(kind: IdKind, stack: string, user: string, region?: string): string {
  // JSON keeps the parts unambiguous (no separator can be forged by a name).
  return uuidV5(NAMESPACE, JSON.stringify([kind, stack, region ?? null, user]));
}

/** Reverse-DNS prefix for Apple PayloadIdentifiers: zone example.com, stack prod -> com.example.vpn.prod. */
export function appleIdentifierPrefix(zone: string, stack: string): string {
  const reversed = zone.split(".").filter(Boolean).reverse().join(".");
  return `${reversed}.vpn.${stack.replace(/[^A-Za-z0-9._-]/g, "-")}`;
}
