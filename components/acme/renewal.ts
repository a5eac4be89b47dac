// When a certificate is due for renewal. Pure: "now" is a parameter.
// Serialized into the dynamic provider with provider.ts: DAY_MS comes from a local
// module, which Pulumi captures by value like this file's own functions.
import { DAY_MS } from "../../model/time";

/** The default window is the last third of the lifetime, but at least this long... */
const MIN_WINDOW_MS = 10 * DAY_MS;

/**
 * How long before notAfter renewal starts. Default: the last third of the lifetime,
 * at least 10 days, but never more than half the lifetime (so a 6-day certificate is
 * not renewed on every run).
 */
export function renewalWindowMs(notBefore: Date, notAfter: Date, renewBeforeDays?: number): number {
  // 0 (or unset) means the default, as vpn:renewBeforeDays documents.
  if (renewBeforeDays) return renewBeforeDays * DAY_MS;
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return Math.max(lifetime / 3, Math.min(MIN_WINDOW_MS, lifetime / 2));
}

export interface RenewalStatus {
  due: boolean;
  renewAt: Date;
  notBefore: Date;
  notAfter: Date;
}

/** Reads the validity with acme-client's crypto helper and compares with `now`. */
export function renewalStatus(certPem: string, now: Date, renewBeforeDays?: number): RenewalStatus {
  const acme = require("acme-client") as typeof import("acme-client");
  const { notBefore, notAfter } = acme.crypto.readCertificateInfo(certPem);
  const renewAt = new Date(notAfter.getTime() - renewalWindowMs(notBefore, notAfter, renewBeforeDays));
  return { due: now.getTime() >= renewAt.getTime(), renewAt, notBefore, notAfter };
}
