// Keys the program would silently ignore: an unknown `vpn:` key, or a key whose
// namespace is a typo of one the program reads (`vnp:compat`). Pulumi itself passes
// any namespace through, so without this a misspelt key just has no effect.
import { closest, distance } from "fastest-levenshtein";
import { KNOWN_KEYS } from "./keys";

/** Namespaces a stack of this project legitimately holds: ours, the providers', Pulumi's own. */
const KNOWN_NAMESPACES = ["vpn", "linode", "command", "tls", "random", "pulumi"] as const;

/** Edits (insert, delete, substitute) up to which a key name counts as a typo of another. */
const TYPO_DISTANCE = 2;

/**
 * Whether namespace `ns` looks like a typo of `known`: one edit, or the same letters
 * swapped (`vnp`), or two edits in a long name. Short namespaces of other tools
 * (`aws`, `gcp`, `k8s`) are two edits from `tls` and must stay untouched.
 */
function namespaceTypo(ns: string, known: string): boolean {
  const d = distance(ns, known);
  const sameLetters = [...ns].sort().join("") === [...known].sort().join("");
  return d <= 1 || (sameLetters && d <= 2) || (ns.length >= 5 && d <= 2);
}

function split(key: string): { ns: string; name: string } | undefined {
  const i = key.indexOf(":");
  return i > 0 ? { ns: key.slice(0, i), name: key.slice(i + 1) } : undefined;
}

/** The known vpn: key nearest to `key`, if it is close enough to be a typo of it. */
function nearestKnownKey(key: string): string | undefined {
  const known = [...KNOWN_KEYS];
  const exactCase = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (exactCase) return exactCase;
  const name = split(key)?.name ?? key;
  // Compare names within the vpn namespace, so `vnp:compat` finds vpn:compat.
  const best = closest(`vpn:${name}`, known);
  return distance(`vpn:${name}`, best) <= TYPO_DISTANCE + 1 ? best : undefined;
}

/** One problem per key that would be ignored, each naming the key and the nearest known key. */
export function unknownKeyProblems(keys: string[]): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  for (const key of [...keys].sort()) {
    const parts = split(key);
    if (!parts) continue;
    const ns = parts.ns.toLowerCase();
    if (ns === "vpn") {
      if (KNOWN_KEYS.has(key)) continue;
      const near = nearestKnownKey(key);
      problems.push({ key, message: `is not a known key${near ? ` (did you mean ${near}?)` : ""}; see docs/configuration.md` });
      continue;
    }
    if ((KNOWN_NAMESPACES as readonly string[]).includes(parts.ns)) continue;
    // Another tool's namespace (e.g. aws:region) is left alone; a near miss of ours is not.
    const nearNs = KNOWN_NAMESPACES.find((k) => namespaceTypo(ns, k));
    if (!nearNs) continue;
    const near = nearNs === "vpn" ? nearestKnownKey(key) : `${nearNs}:${parts.name}`;
    problems.push({ key, message: `is in the unknown namespace "${parts.ns}" and would be ignored${near ? ` (did you mean ${near}?)` : ""}` });
  }
  return problems;
}
