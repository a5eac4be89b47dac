// The problem collector and the typed readers every part of the validation uses:
// each reader takes the raw key/value map, returns the value (or the default) and
// records a problem naming the key when the value has the wrong type.

export type Raw = Record<string, unknown>;

export class Collector {
  problems: string[] = [];
  add(key: string, msg: string): undefined {
    this.problems.push(`${key}: ${msg}`);
    return undefined;
  }
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

/** Structured keys arrive from Pulumi as JSON text; YAML callers hand over parsed values. */
export function structured(c: Collector, key: string, v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return c.add(key, `must be a YAML list/object, got the text ${describe(v)}`);
  }
}

export function str(c: Collector, raw: Raw, key: string, dflt?: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v !== "string") return c.add(key, `must be a string, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string>(c: Collector, raw: Raw, key: string, allowed: readonly T[], dflt: T): T {
  const v = str(c, raw, key, dflt);
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) {
    c.add(key, `must be one of ${allowed.join(", ")}, got ${describe(v)}`);
    return dflt;
  }
  return v as T;
}

export function bool(c: Collector, raw: Raw, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  c.add(key, `must be true or false, got ${describe(v)}`);
  return dflt;
}

export function int(c: Collector, raw: Raw, key: string, min: number, max: number): number | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) return c.add(key, `must be a whole number from ${min} to ${max}, got ${describe(v)}`);
  return n;
}

export function list(c: Collector, raw: Raw, key: string, dflt?: unknown[]): unknown[] | undefined {
  const v = structured(c, key, raw[key]);
  if (v === undefined || v === null) return dflt;
  if (!Array.isArray(v)) return c.add(key, `must be a list, got ${describe(v)}`);
  return v as unknown[];
}
