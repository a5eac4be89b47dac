// Debian's pebble (a small ACME CA for tests) on loopback, and pebble-challtestsrv
// as a stand-in DNS server.
import { promises as dnsp } from "node:dns";
import { request } from "node:https";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Daemon, freePort, startDaemon, waitFor } from "./procs";
import type { TestCa } from "./testCa";

/** GET over HTTPS trusting `caPem`; resolves with status and body. */
export function httpsGet(url: string, caPem: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  daemon: Daemon;
  /** Pebble's (per-run) root and intermediate, PEM. */
  rootPem(): Promise<string>;
  intermediatePem(): Promise<string>;
  /** "Valid" or "Revoked", from pebble's management API. */
  certStatus(serialHex: string): Promise<string>;
  stop(): Promise<void>;
}

// PEBBLE_AUTHZREUSE=0 makes reuse rare, not impossible: pebble makes a new authorization
// only when rand.Intn(100) > the percentage, so about 1 order in 100 gets the account's
// earlier valid one. A test whose create must reach the DNS provider uses a fresh account.
export const PEBBLE_ENV = { PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" };

/** Starts pebble; its VA resolves DNS-01 names through `dnsServer` ("127.0.0.1:port"). */
export async function startPebble(dir: string, ca: TestCa, dnsServer: string, name = "pebble"): Promise<Pebble> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [port, mgmt, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const config = join(dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${port}`,
          managementListenAddress: `127.0.0.1:${mgmt}`,
          certificate: ca.certFile,
          privateKey: ca.keyFile,
          httpPort,
          tlsPort,
          ocspResponderURL: "",
          externalAccountBindingRequired: false,
        },
      }),
    );
    const daemon = startDaemon(name, "/usr/bin/pebble", ["-config", config, "-dnsserver", dnsServer], { env: { ...process.env, ...PEBBLE_ENV } });
    const directoryUrl = `https://127.0.0.1:${port}/dir`;
    const managementUrl = `https://127.0.0.1:${mgmt}`;
    try {
      await waitFor(`${name} directory`, 10000, async () => (await httpsGet(directoryUrl, ca.caPem)).status === 200, daemon);
      const get = async (path: string) => {
        const r = await httpsGet(`${managementUrl}${path}`, ca.caPem);
        if (r.status !== 200) throw new Error(`${name} ${path}: HTTP ${r.status} ${r.body}`);
        return r.body;
      };
      return {
        directoryUrl,
        managementUrl,
        daemon,
        rootPem: () => get("/roots/0"),
        intermediatePem: () => get("/intermediates/0"),
        certStatus: async (serial) => (JSON.parse(await get(`/cert-status-by-serial/${serial}`)) as { Status: string }).Status,
        stop: () => daemon.stop(),
      };
    } catch (e) {
      lastError = e;
      await daemon.stop();
      if (!/address already in use/i.test(daemon.output())) break;
    }
  }
  throw lastError;
}

export interface ChallTestSrv {
  /** DNS listener, "ip:port". */
  dns: string;
  daemon: Daemon;
  stop(): Promise<void>;
}

/** pebble-challtestsrv answering DNS on `address`:`port` (A queries get 127.0.0.1; TXT only what is set). */
export async function startChallTestSrv(address: string, port?: number): Promise<ChallTestSrv> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dnsPort = port ?? (await freePort(address));
    const mgmt = await freePort();
    const dns = `${address}:${dnsPort}`;
    const daemon = startDaemon("pebble-challtestsrv", "/usr/bin/pebble-challtestsrv", [
      "-dns01",
      dns,
      "-management",
      `127.0.0.1:${mgmt}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
    ]);
    try {
      await waitFor(
        `challtestsrv DNS on ${dns}`,
        10000,
        async () => {
          const r = new dnsp.Resolver({ timeout: 500, tries: 1 });
          r.setServers([dns]);
          return (await r.resolve4("ready.test")).length > 0;
        },
        daemon,
      );
      return { dns, daemon, stop: () => daemon.stop() };
    } catch (e) {
      lastError = e;
      await daemon.stop();
      if (!/address already in use/i.test(daemon.output())) break;
    }
  }
  throw lastError;
}
