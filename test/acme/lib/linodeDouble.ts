// A loopback test double of the Linode Domains API v4: just the endpoints the
// linode solver calls (list domains with X-Filter, create a record, delete a
// record) plus listing records for assertions. Every request is recorded.
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  filter?: string;
  body?: Record<string, unknown>;
  status: number;
  /** The JSON the double answered. */
  response?: Record<string, unknown>;
}

export interface DomainRecord {
  id: number;
  type: string;
  name: string;
  target: string;
  ttl_sec: number;
}

export interface LinodeDouble {
  /** API base, e.g. http://127.0.0.1:PORT/v4 */
  url: string;
  requests: RecordedRequest[];
  records(domainId: number): DomainRecord[];
  stop(): Promise<void>;
}

export interface LinodeDoubleOptions {
  token: string;
  domains: { id: number; domain: string }[];
  /** Called after a record is stored / before the reply to a delete (e.g. to mirror it into a real DNS server). */
  onCreate?: (domain: string, rec: DomainRecord) => Promise<void>;
  onDelete?: (domain: string, rec: DomainRecord) => Promise<void>;
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, rec?: RecordedRequest): number {
  if (rec) rec.response = body;
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
  return status;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

export async function startLinodeDouble(opts: LinodeDoubleOptions): Promise<LinodeDouble> {
  const requests: RecordedRequest[] = [];
  const store = new Map<number, DomainRecord[]>(opts.domains.map((d) => [d.id, []]));
  let nextId = 1000;

  async function handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<number> {
    if (rec.authorization !== `Bearer ${opts.token}`) return send(res, 401, { errors: [{ reason: "Invalid Token" }] });
    const path = rec.path.split("?")[0];
    if (req.method === "GET" && path === "/v4/domains") {
      const filter = rec.filter ? (JSON.parse(rec.filter) as { domain?: string }) : {};
      const data = opts.domains.filter((d) => !filter.domain || d.domain === filter.domain).map((d) => ({ ...d, type: "master", status: "active" }));
      return send(res, 200, { data, page: 1, pages: 1, results: data.length });
    }
    const m = /^\/v4\/domains\/(\d+)\/records(?:\/(\d+))?$/.exec(path);
    const domain = m && opts.domains.find((d) => d.id === Number(m[1]));
    if (!m || !domain) return send(res, 404, { errors: [{ reason: "Not found" }] });
    const list = store.get(domain.id)!;
    if (req.method === "GET" && !m[2]) return send(res, 200, { data: list, page: 1, pages: 1, results: list.length });
    if (req.method === "POST" && !m[2]) {
      const b = rec.body ?? {};
      if (b.type !== "TXT" || typeof b.name !== "string" || typeof b.target !== "string")
        return send(res, 400, { errors: [{ reason: "type, name and target are required", field: "type" }] });
      const created: DomainRecord = { id: nextId++, type: b.type, name: b.name, target: b.target, ttl_sec: Number(b.ttl_sec ?? 0) };
      list.push(created);
      await opts.onCreate?.(domain.domain, created);
      return send(res, 200, { ...created }, rec);
    }
    if (req.method === "DELETE" && m[2]) {
      const i = list.findIndex((r) => r.id === Number(m[2]));
      if (i < 0) return send(res, 404, { errors: [{ reason: "Not found" }] });
      const [gone] = list.splice(i, 1);
      await opts.onDelete?.(domain.domain, gone);
      return send(res, 200, {});
    }
    return send(res, 405, { errors: [{ reason: "Method not allowed" }] });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rec: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        filter: req.headers["x-filter"] as string | undefined,
        status: 0,
      };
      requests.push(rec);
      try {
        rec.body = await readBody(req);
        rec.status = await handle(req, res, rec);
      } catch (e) {
        rec.status = send(res, 500, { errors: [{ reason: (e as Error).message }] });
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v4`,
    requests,
    records: (id) => [...(store.get(id) ?? [])],
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
