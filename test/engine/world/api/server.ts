// startLinodeApi: a stateful Linode API v4 for the real @pulumi/linode provider
// (terraform-provider-linode v3 over linodego). LINODE_URL=<url> (linodego
// appends /v4 itself), LINODE_TOKEN=<token>.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { LinodeApiHandle, RecordedRequest, WorldApiOptions } from "./backends";
import { registerCatalog } from "./catalog";
import { registerDomains } from "./domains";
import { registerEvents } from "./events";
import { registerFirewalls } from "./firewalls";
import { ApiError, errorBody, readBody, Router, send } from "./http";
import type { Request } from "./http";
import { registerInstances } from "./instances";
import { registerNetworking } from "./networking";
import { registerObjectStorage } from "./objectStorage";
import { World } from "./state";

const SECRET_KEYS = new Set(["root_pass", "user_data", "password", "token"]);

/** A copy of a request body with secret values replaced (keys stay: tests assert they were sent). */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET_KEYS.has(k) && x !== null && x !== undefined ? "[redacted]" : redact(x)]),
  );
}

export function buildRouter(world: World): Router {
  const router = new Router();
  registerInstances(router, world);
  registerNetworking(router, world);
  registerFirewalls(router, world);
  registerDomains(router, world);
  registerEvents(router, world);
  registerCatalog(router, world);
  registerObjectStorage(router, world);
  return router;
}

export async function startLinodeApi(opts: WorldApiOptions): Promise<LinodeApiHandle> {
  const world = new World(opts);
  const router = buildRouter(world);
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://world.invalid");
    const record: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    const filter = req.headers["x-filter"];
    if (typeof filter === "string") record.filter = filter;
    const finish = (status: number, body: unknown) => {
      record.status = status;
      requests.push(record);
      send(res, status, body);
    };

    void (async () => {
      try {
        const raw = await readBody(req);
        let body: unknown;
        if (raw.trim() !== "") {
          try {
            body = JSON.parse(raw);
          } catch {
            throw new ApiError(400, [{ reason: "Invalid JSON" }]);
          }
          record.body = redact(body);
        }
        if (req.headers.authorization !== `Bearer ${opts.token}`) throw new ApiError(401, [{ reason: "Invalid Token" }]);
        const m = /^\/(v4|v4beta)\/(.*?)\/*$/.exec(url.pathname);
        if (!m) throw new ApiError(404, [{ reason: "Not found" }]);
        const segments = m[2].split("/").map((s) => decodeURIComponent(s));
        const route = router.match(record.method, segments);
        if (route === undefined) throw new ApiError(404, [{ reason: "Not found" }]);
        if (route === "method") throw new ApiError(405, [{ reason: "Method Not Allowed" }]);
        const request: Request = { method: record.method, segments, query: url.searchParams, filter: record.filter, body };
        finish(200, await route.handler(request, route.params));
      } catch (err) {
        if (err instanceof ApiError) finish(err.status, errorBody(err));
        else finish(500, { errors: [{ reason: `local Linode world failed: ${err instanceof Error ? err.message : String(err)}` }] });
      }
    })();
  });

  const listen = opts.listen ?? { host: "127.0.0.1", port: 0 };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host}:${addr.port}`,
    requests,
    state: () => world.snapshot(),
    idle: () => world.idle(),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await world.idle();
    },
  };
}
