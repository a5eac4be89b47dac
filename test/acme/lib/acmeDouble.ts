// A minimal ACME server double over HTTPS for answers pebble cannot give: it
// registers any account and answers every new order with 429 rateLimited (the
// problem document and Retry-After header Let's Encrypt sends). It records the
// decoded JWS payloads, so a test can see what the client asked for (e.g. profile).
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TestCa } from "./testCa";

export interface AcmeDouble {
  directoryUrl: string;
  /** [url path, decoded payload] of every signed POST. */
  posts: { path: string; payload: unknown }[];
  stop(): Promise<void>;
}

export const RATE_LIMIT_DETAIL =
  "too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after 2030-01-01 00:00:00 UTC";

export async function startRateLimitingAcme(ca: TestCa): Promise<AcmeDouble> {
  const posts: AcmeDouble["posts"] = [];
  let nonce = 0;
  const server = createServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) }, (req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const headers = { "Replay-Nonce": `nonce-${++nonce}`, "Cache-Control": "no-store" };
      const json = (status: number, data: unknown, extra: Record<string, string> = {}, type = "application/json") => {
        res.writeHead(status, { ...headers, "Content-Type": type, ...extra });
        res.end(JSON.stringify(data));
      };
      const path = req.url ?? "";
      if (req.method === "POST") {
        const jws = JSON.parse(body) as { payload: string };
        posts.push({ path, payload: jws.payload ? JSON.parse(Buffer.from(jws.payload, "base64url").toString()) : null });
      }
      if (path === "/dir")
        return json(200, {
          newNonce: `${base}/nonce`,
          newAccount: `${base}/account`,
          newOrder: `${base}/order`,
          revokeCert: `${base}/revoke`,
          keyChange: `${base}/key`,
        });
      if (path === "/nonce") {
        res.writeHead(200, headers);
        return res.end();
      }
      if (path === "/account") return json(201, { status: "valid" }, { Location: `${base}/account/1` });
      if (path === "/order") {
        return json(
          429,
          { type: "urn:ietf:params:acme:error:rateLimited", detail: RATE_LIMIT_DETAIL, status: 429 },
          { "Retry-After": "3600" },
          "application/problem+json",
        );
      }
      return json(404, { type: "urn:ietf:params:acme:error:malformed", detail: "not found", status: 404 }, {}, "application/problem+json");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    posts,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
