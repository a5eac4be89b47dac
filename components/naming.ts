// Linode labels have tight limits (instance 3-64, firewall 3-32 characters of
// [A-Za-z0-9._-]); stack names do not. Long or odd names are cut and suffixed with
// a short hash so labels stay unique and stable.
import { createHash } from "node:crypto";

export function linodeLabel(parts: string[], maxLength: number): string {
  const raw = parts.join("-").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/-{2,}/g, "-").replace(/^[^A-Za-z]+/, "");
  const label = raw.length >= 3 ? raw : `vpn-${raw}`;
  if (label.length <= maxLength) return label;
  const hash = createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 6);
  return `${label.slice(0, maxLength - 7).replace(/[-._]+$/, "")}-${hash}`;
}

/** Record name of `hostname` relative to `zone` ("" at the apex). */
export function relativeName(hostname: string, zone: string): string {
  return hostname === zone ? "" : hostname.slice(0, -(zone.length + 1));
}
