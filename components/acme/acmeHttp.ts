// Bounded, explainable HTTP towards the ACME server, around acme-client's shared
// axios instance.
//
// acme-client retries network errors, 5xx and 429 (honouring Retry-After, which can
// be hours when rate limited) and, once out of retries, loses the cause and throws
// "Cannot read properties of undefined (reading 'config')". So: no HTTP retries
// (the next scheduled `pulumi up` is the retry), a timeout per request, a probe of
// the directory with plain node:https that names the real cause, and an
// interceptor that keeps the last ACME problem document (type, detail, Retry-After).
// Per-call settings (trusted roots, timeout) travel in an AsyncLocalStorage, so
// concurrent certificates in one provider process do not mix them up.
import type { Agent } from "node:https";

export interface AcmeProblem {
  status: number;
  type?: string;
  detail?: string;
  retryAfter?: string;
  url?: string;
}

export interface AcmeHttpContext {
  agent: Agent;
  timeoutMs: number;
  lastProblem?: AcmeProblem;
}

interface SessionState {
  als: import("node:async_hooks").AsyncLocalStorage<AcmeHttpContext>;
}

/** Installs the interceptors once per acme-client instance; returns the context store. */
export function acmeHttpState(acme: typeof import("acme-client")): SessionState {
  // A registry symbol (not a module constant): this code is serialized by value.
  const STATE_KEY = Symbol.for("linode-ikev2-vpn.acme-http");
  const holder = acme.axios as unknown as Record<symbol, SessionState | undefined>;
  const existing = holder[STATE_KEY];
  if (existing) return existing;
  const { AsyncLocalStorage } = require("node:async_hooks") as typeof import("node:async_hooks");
  const state: SessionState = { als: new AsyncLocalStorage<AcmeHttpContext>() };
  const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings;
  settings.retryMaxAttempts = 0;
  acme.axios.interceptors.request.use((config) => {
    const ctx = state.als.getStore();
    if (ctx) {
      config.httpsAgent = ctx.agent;
      config.timeout = ctx.timeoutMs;
    }
    return config;
  });
  acme.axios.interceptors.response.use((resp) => {
    const ctx = state.als.getStore();
    const data = resp.data as { type?: unknown; detail?: unknown } | undefined;
    if (ctx && resp.status >= 400) {
      ctx.lastProblem = {
        status: resp.status,
        type: typeof data?.type === "string" ? data.type : undefined,
        detail: typeof data?.detail === "string" ? data.detail : undefined,
        retryAfter: resp.headers?.["retry-after"] as string | undefined,
        url: resp.config?.url,
      };
    }
    return resp;
  });
  holder[STATE_KEY] = state;
  return state;
}

/** An https.Agent trusting the system roots plus `extraCaPem`. */
export function acmeAgent(extraCaPem?: string): Agent {
  const https = require("node:https") as typeof import("node:https");
  const tls = require("node:tls") as typeof import("node:tls");
  return new https.Agent({ ca: extraCaPem ? [...tls.rootCertificates, extraCaPem] : undefined, keepAlive: false });
}

// An array, not a Set: module constants are serialized by value with the provider.
const TLS_TRUST_CODES = [
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
];

/** Turns a socket/TLS error into a sentence with what to do. */
function describeNetworkError(err: NodeJS.ErrnoException, url: string, timeoutMs: number): string {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 443}`;
  const code = err.code ?? "";
  if (code === "ECONNREFUSED") return `connection refused by ${where} (nothing listens there): check vpn:acmeServer`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return `the host name ${u.hostname} does not resolve (${code}): check vpn:acmeServer and this machine's DNS`;
  if (code === "ETIMEDOUT" || code === "ECONNABORTED" || code === "TIMEOUT")
    return `no answer from ${where} within ${Math.round(timeoutMs / 1000)} s: check vpn:acmeServer and outbound HTTPS from this machine`;
  if (code === "ECONNRESET" || code === "EPIPE") return `${where} closed the connection (${code}); retry later`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `${where} is unreachable (${code}): check the network`;
  if (TLS_TRUST_CODES.includes(code))
    return `the TLS certificate of ${where} is not trusted (${code}: ${err.message}); for a private ACME CA pass its root certificate as acmeServerCaPem`;
  return `${err.message}${code ? ` (${code})` : ""}`;
}

/**
 * GETs the directory with plain node:https. Resolves when it is an ACME directory;
 * otherwise rejects with an error whose message is the cause and the remedy.
 */
export function probeDirectory(url: string, agent: Agent, timeoutMs: number): Promise<void> {
  const https = require("node:https") as typeof import("node:https");
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const req = https.get(url, { agent, headers: { Accept: "application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body = (body + c).slice(0, 100000)));
      res.on("error", (err) => done(new Error(describeNetworkError(err, url, timeoutMs))));
      res.on("end", () => {
        let dir: { newOrder?: unknown } | undefined;
        try {
          dir = JSON.parse(body) as { newOrder?: unknown };
        } catch {
          dir = undefined;
        }
        if (res.statusCode !== 200 || !dir || typeof dir.newOrder !== "string") {
          done(new Error(`HTTP ${res.statusCode} without an ACME directory: check vpn:acmeServer (the directory URL)`));
        } else {
          done();
        }
      });
    });
    // One deadline for connect, TLS, headers and body.
    timer = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })), timeoutMs);
    req.on("error", (err) => done(new Error(describeNetworkError(err, url, timeoutMs))));
  });
}
