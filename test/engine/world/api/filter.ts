// The X-Filter header of the Linode API v4 ("Filtering and Sorting" in the API
// reference): `{"field": value}`, dotted fields ("entity.id"), operators
// {"+gt","+gte","+lt","+lte","+neq","+contains"}, "+and"/"+or" lists, and
// "+order_by"/"+order". linodego's Filter (filter.go) and the event poller
// (waitfor.go: entity.type, entity.id, action, created +gte, id +gte,
// +order_by created, +order desc) produce exactly these forms.
import { ApiError } from "./errors";

export type Filter = Record<string, unknown>;

export function parseFilter(header: string): Filter {
  let f: unknown;
  try {
    f = JSON.parse(header);
  } catch {
    throw new ApiError(400, [{ field: "X-Filter", reason: "X-Filter must be valid JSON" }]);
  }
  if (f === null || typeof f !== "object" || Array.isArray(f)) {
    throw new ApiError(400, [{ field: "X-Filter", reason: "X-Filter must be a JSON object" }]);
  }
  return f as Filter;
}

const OPS = new Set(["+gt", "+gte", "+lt", "+lte", "+neq", "+contains", "+eq"]);

function lookup(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  // Plain code-point order: timestamps "2006-01-02T15:04:05" compare correctly as text.
  const x = String(a ?? "");
  const y = String(b ?? "");
  return x < y ? -1 : x > y ? 1 : 0;
}

function equal(actual: unknown, want: unknown): boolean {
  // Array fields (tags, linodes) match when they contain the value.
  if (Array.isArray(actual)) return actual.some((x) => equal(x, want));
  if (actual === want) return true;
  if (actual === null || actual === undefined || want === null) return false;
  // Ids arrive as numbers or strings depending on the client.
  return String(actual) === String(want);
}

function test(row: unknown, path: string, cond: unknown): boolean {
  const actual = lookup(row, path);
  if (cond !== null && typeof cond === "object" && !Array.isArray(cond)) {
    const entries = Object.entries(cond as Record<string, unknown>);
    if (entries.every(([k]) => OPS.has(k))) {
      return entries.every(([op, v]) => {
        switch (op) {
          case "+eq":
            return equal(actual, v);
          case "+neq":
            return !equal(actual, v);
          case "+gt":
            return compare(actual, v) > 0;
          case "+gte":
            return compare(actual, v) >= 0;
          case "+lt":
            return compare(actual, v) < 0;
          case "+lte":
            return compare(actual, v) <= 0;
          case "+contains":
            return String(actual ?? "").includes(String(v));
          default:
            return false;
        }
      });
    }
    // Nested form {"entity": {"id": 1}} is the same as "entity.id".
    return entries.every(([k, v]) => test(row, `${path}.${k}`, v));
  }
  return equal(actual, cond);
}

export function matches(row: unknown, f: Filter): boolean {
  return Object.entries(f).every(([k, v]) => {
    if (k === "+order_by" || k === "+order") return true;
    if (k === "+and") return asList(k, v).every((sub) => matches(row, sub));
    if (k === "+or") return asList(k, v).some((sub) => matches(row, sub));
    if (k.startsWith("+")) throw new ApiError(400, [{ field: "X-Filter", reason: `Unknown filter operator ${k}` }]);
    return test(row, k, v);
  });
}

function asList(k: string, v: unknown): Filter[] {
  if (!Array.isArray(v)) throw new ApiError(400, [{ field: "X-Filter", reason: `${k} must be a list` }]);
  return v as Filter[];
}

export function applyFilter<T>(rows: T[], f: Filter): T[] {
  const out = rows.filter((r) => matches(r, f));
  const by = f["+order_by"];
  if (typeof by === "string") {
    const desc = f["+order"] === "desc";
    // Stable tie-break on id so "created desc" within one second is newest first.
    out.sort((a, b) => {
      const c = compare(lookup(a, by), lookup(b, by)) || compare(lookup(a, "id"), lookup(b, "id"));
      return desc ? -c : c;
    });
  }
  return out;
}
