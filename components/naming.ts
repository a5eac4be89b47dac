// Linode labels, made from Pulumi project, stack and region names (which allow far
// more than Linode does).
//
// Rules (Linode API v4 docs for Linode and Firewall labels, and the Linode guides'
// "Linode labels have the following constraints"): only letters, digits, `-`, `_`
// and `.`; must start with a letter and end with a letter or digit; no `--`, `__`
// or `..` in a row; unique among the account's Linodes (and among its firewalls).
// Lengths: an Instance label 3-50 (terraform-provider-linode v3.1.1,
// linode/instance/schema_resource.go: `validation.StringLenBetween(3, 50)`, checked
// in preview), a Firewall label 3-32 (Linode API).
//
// Uniqueness across projects and stacks: every label ends in a 6-hex-digit hash of
// (project, stack, region), so two projects with a stack `dev` in one account, or two
// long stack names that share their first characters, never collide. The hash is
// stable, so a label never changes for a given project/stack/region. The readable
// part is cut to fit; the region id is kept whole where it fits.
//
// Stacks created before this scheme had `vpn-<stack>-<region>`: their next `up`
// renames the VM and the firewall in place (the provider's Instance label is not
// ForceNew, it is a PUT linode/instances/{id}; the Firewall label is a plain update),
// so nothing is replaced.
import { createHash } from "node:crypto";

export const INSTANCE_LABEL_MAX = 50;
export const FIREWALL_LABEL_MAX = 32;
/** Linode tags: 3-50 characters; tags need not be unique. */
const TAG_MAX = 50;

/** Any run of characters Linode does not allow, or of separators, becomes one `-`. */
function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}

/** Short stable hash of the identity a label stands for. */
export function labelHash(parts: string[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 6);
}

/** Cut to at most `max` characters without leaving a separator at the end. */
function cut(text: string, max: number): string {
  return text.slice(0, Math.max(0, max)).replace(/-+$/, "");
}

/**
 * A label `vpn-<stack>-<region>-<hash>` that satisfies Linode's rules for the given
 * maximum length; the hash covers (project, stack, region).
 */
function resourceLabel(identity: { project: string; stack: string; region: string }, maxLength: number): string {
  const hash = labelHash([identity.project, identity.stack, identity.region]);
  const region = sanitize(identity.region);
  const stack = sanitize(identity.stack);
  const room = maxLength - "vpn-".length - hash.length - 1;
  // Keep the region whole when at least a few characters of the stack still fit.
  const regionPart = region.length + 1 + 4 <= room ? region : cut(region, Math.max(0, room - 5));
  const stackPart = cut(stack, room - (regionPart ? regionPart.length + 1 : 0));
  const label = ["vpn", stackPart, regionPart, hash].filter(Boolean).join("-");
  return assertLinodeLabel(label, maxLength);
}

export function instanceLabel(identity: { project: string; stack: string; region: string }): string {
  return resourceLabel(identity, INSTANCE_LABEL_MAX);
}

export function firewallLabel(identity: { project: string; stack: string; region: string }): string {
  return resourceLabel(identity, FIREWALL_LABEL_MAX);
}

/** A tag such as `vpn-<stack>`: tags only group resources (they need not be unique), so no hash; at most 50 characters. */
export function linodeTag(parts: string[]): string {
  return parts
    .join("-")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .slice(0, TAG_MAX);
}

const LABEL_RE = /^[A-Za-z](?:[A-Za-z0-9]|[-_.](?=[A-Za-z0-9]))*$/;

/** Throws unless `label` satisfies Linode's label rules; returns it. */
export function assertLinodeLabel(label: string, maxLength: number): string {
  if (label.length < 3 || label.length > maxLength || !LABEL_RE.test(label)) {
    throw new Error(
      `internal: ${JSON.stringify(label)} is not a valid Linode label (3-${maxLength} characters, letters/digits with single - _ . between them, starting with a letter)`,
    );
  }
  return label;
}

/** Record name of `hostname` relative to `zone` ("" at the apex). */
export function relativeName(hostname: string, zone: string): string {
  return hostname === zone ? "" : hostname.slice(0, -(zone.length + 1));
}

/**
 * The Instance label stacks got before the hashed scheme (`vpn-<stack>-<region>`,
 * cut to 64 with a hash suffix only when longer). Only used to recognise this stack's
 * own VM and records (HostnameGuard) while such a VM still carries it.
 */
export function legacyInstanceLabel(stack: string, region: string): string {
  const parts = ["vpn", stack, region];
  const raw = parts
    .join("-")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^A-Za-z]+/, "");
  const label = raw.length >= 3 ? raw : `vpn-${raw}`;
  if (label.length <= 64) return label;
  const hash = createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 6);
  return `${label.slice(0, 64 - 7).replace(/[-._]+$/, "")}-${hash}`;
}
