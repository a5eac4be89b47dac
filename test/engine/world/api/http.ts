// HTTP plumbing: routing, JSON bodies, Linode-shaped errors and list envelopes.
// Written on node:http because the server is small and must control every byte
// linodego checks (exact Content-Type, error envelope); no framework needed.
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyFilter, parseFilter } from "./filter";
import { ApiError, invalid, notFound } from "./errors";

export { ApiError, invalid, notFound };

export interface Request {
  method: string;
  /** path below /v4, without leading slash, decoded per segment */
  segments: string[];
  query: URLSearchParams;
  filter?: string;
  body: unknown;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** Answers with a value or a Promise of one (`unknown` covers both). */
export type Handler = (req: Request, params: string[]) => unknown;

interface Route {
  method: string;
  pattern: string[];
  handler: Handler;
}

/** Routes like "GET linode/instances/:id/ips"; a `:x` segment captures one path segment. */
export class Router {
  private routes: Route[] = [];

  on(spec: string, handler: Handler): this {
    const [method, path] = spec.split(" ");
    this.routes.push({ method, pattern: path.split("/"), handler });
    return this;
  }

  match(method: string, segments: string[]): { handler: Handler; params: string[] } | "method" | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      if (r.pattern.length !== segments.length) continue;
      const params: string[] = [];
      const ok = r.pattern.every((p, i) => {
        if (p.startsWith(":")) {
          params.push(segments[i]);
          return segments[i] !== "";
        }
        return p === segments[i];
      });
      if (!ok) continue;
      if (r.method === method) return { handler: r.handler, params };
      pathMatched = true;
    }
    return pathMatched ? "method" : undefined;
  }
}

export function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new ApiError(413, [{ reason: "Request body too large" }]));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * linodego compares the error response's Content-Type with its Accept header
 * ("application/json") byte for byte before it parses the error (errors.go
 * coupleAPIErrors): no "; charset" suffix, or every API error becomes
 * "Unexpected Content-Type".
 */
export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function errorBody(err: ApiError): { errors: { reason: string; field?: string }[] } {
  return { errors: err.errors.map((e) => (e.field ? { reason: e.reason, field: e.field } : { reason: e.reason })) };
}

/**
 * A Linode list envelope `{data, page, pages, results}` (linodego pagination.go:
 * listHelper reads `pages` to fetch the rest). X-Filter is applied first, then
 * `page` (default 1) and `page_size` (25..500, default 100) as the API documents.
 */
export function paged<T extends object>(req: Request, rows: T[]): { data: T[]; page: number; pages: number; results: number } {
  const filtered = req.filter ? applyFilter(rows, parseFilter(req.filter)) : rows;
  const page = intParam(req.query, "page", 1, 1, Number.MAX_SAFE_INTEGER);
  const size = intParam(req.query, "page_size", 100, 25, 500);
  const pages = Math.max(1, Math.ceil(filtered.length / size));
  return { data: filtered.slice((page - 1) * size, page * size), page, pages, results: filtered.length };
}

function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === "") return dflt;
  if (!/^\d+$/.test(raw)) throw invalid(name, `${name} must be an integer`);
  const n = Number(raw);
  if (n < min || n > max) throw invalid(name, `${name} must be between ${min} and ${max}`);
  return n;
}

/** Path segment as a positive integer id, or 404 (Linode answers "Not found" for non-numeric ids). */
export function idParam(s: string): number {
  if (!/^\d+$/.test(s)) throw notFound();
  return Number(s);
}

/** The body as an object, or 400. */
export function objectBody(req: Request): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== "object" || Array.isArray(b)) throw invalid(undefined, "Request body must be a JSON object");
  return b as Record<string, unknown>;
}
