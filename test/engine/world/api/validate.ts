// Input rules the Linode API v4 documents and enforces (400 with the field named).
import { isIP } from "node:net";
import { invalid } from "./errors";

function noDoubles(s: string): boolean {
  return !/--|__|\.\./.test(s);
}

/**
 * Linode labels (API reference, Linode Instances "label"): 3-64 characters; must
 * start with an alpha character; only alphanumerics, dashes, underscores and
 * periods; no two dashes, underscores or periods in a row.
 */
export function checkLinodeLabel(label: unknown): string {
  if (typeof label !== "string") throw invalid("label", "Label must be a string");
  if (label.length < 3 || label.length > 64) throw invalid("label", "Length must be 3-64 characters");
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(label) || !noDoubles(label)) {
    throw invalid(
      "label",
      "Must start with an alpha character, contain only alphanumeric characters, dashes, underscores or periods, and not have two dashes, underscores or periods in a row",
    );
  }
  return label;
}

/**
 * Firewall labels (API reference, Create a firewall "label"): 3-32 characters;
 * must begin and end with an alphanumeric character; alphanumerics, dashes,
 * underscores, periods; no doubled separators; unique among the account's firewalls.
 */
export function checkFirewallLabel(label: unknown, field = "label"): string {
  if (typeof label !== "string") throw invalid(field, "Label must be a string");
  if (label.length < 3 || label.length > 32) throw invalid(field, "Length must be 3-32 characters");
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(label) || !noDoubles(label)) {
    throw invalid(
      field,
      "Must begin and end with an alphanumeric character, contain only alphanumeric characters, dashes, underscores or periods, and not have two dashes, underscores or periods in a row",
    );
  }
  return label;
}

/** Tags (API reference, Tags "label"): 3-50 characters each. */
export function checkTags(tags: unknown, field = "tags"): string[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw invalid(field, "Must be a list of strings");
  return tags.map((t, i) => {
    if (typeof t !== "string" || t.length < 3 || t.length > 50) throw invalid(`${field}[${i}]`, "Length must be 3-50 characters");
    return t;
  });
}

/**
 * root_pass: 7-128 characters and "strong" (Linode runs a strength estimator and
 * answers "Password does not meet strength requirement."). The estimator is not
 * public; this approximation refuses what it would: short passwords with few
 * character classes, and passwords made of one repeated character.
 */
export function checkRootPass(pass: unknown): string {
  if (typeof pass !== "string") throw invalid("root_pass", "root_pass is required");
  if (pass.length < 7 || pass.length > 128) throw invalid("root_pass", "Length must be 7-128 characters");
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pass)).length;
  const distinct = new Set(pass).size;
  const strong = distinct >= 5 && ((classes >= 3 && pass.length >= 11) || (classes >= 2 && pass.length >= 16) || pass.length >= 24);
  if (!strong) throw invalid("root_pass", "Password does not meet strength requirement.");
  return pass;
}

const KEY_TYPES =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/;

/** authorized_keys: OpenSSH public key lines, one per entry. */
export function checkAuthorizedKeys(keys: unknown): string[] {
  if (keys === undefined || keys === null) return [];
  if (!Array.isArray(keys)) throw invalid("authorized_keys", "Must be a list of SSH public keys");
  return keys.map((k, i) => {
    if (typeof k !== "string" || !KEY_TYPES.test(k.trim())) throw invalid(`authorized_keys[${i}]`, "Invalid SSH2 public key");
    return k.trim();
  });
}

/** A host name as Linode accepts for rDNS and record names. */
export function isHostname(s: string): boolean {
  const n = s.replace(/\.$/, "");
  return n.length > 0 && n.length <= 253 && n.split(".").every((l) => /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/.test(l));
}

export function isIPv4(s: unknown): boolean {
  return typeof s === "string" && isIP(s) === 4;
}

export function isIPv6(s: unknown): boolean {
  return typeof s === "string" && isIP(s) === 6;
}

/** Canonical text of an IPv6 address (lowercase, zero runs compressed) for comparisons. */
export function canonicalIPv6(addr: string): string {
  const u = new URL(`http://[${addr}]/`);
  return u.hostname.slice(1, -1);
}

export function sameAddress(a: string, b: string): boolean {
  if (isIPv6(a) && isIPv6(b)) return canonicalIPv6(a) === canonicalIPv6(b);
  return a === b;
}
