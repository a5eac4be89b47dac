// Waits until every authoritative name server of the zone serves the challenge
// value. The CA validates from several places and may ask any of them, so the
// local resolver seeing the record proves little (and would cache a miss).
import type { Logger, PropagationSettings } from "./types";

export interface PropagationRequest {
  zone: string;
  fqdn: string;
  value: string;
  settings?: PropagationSettings;
  log: Logger;
  /** Names the DNS provider in the timeout message. */
  providerName: string;
}

interface NameServer {
  name: string;
  addresses: string[];
  served: boolean;
  status: string;
}

type Resolver = import("node:dns").promises.Resolver;

/** A fresh resolver per use: c-ares may cache answers, and a cached miss would hide the new record. */
function newResolver(servers: string[] | undefined, timeoutMs: number, tries = 1): Resolver {
  const dns = require("node:dns") as typeof import("node:dns");
  const r = new dns.promises.Resolver({ timeout: timeoutMs, tries });
  if (servers && servers.length > 0) r.setServers(servers);
  return r;
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

async function findNameServers(zone: string, resolvers: string[] | undefined): Promise<NameServer[]> {
  const net = require("node:net") as typeof import("node:net");
  const r = newResolver(resolvers, 3000, 2);
  let names: string[];
  try {
    names = await r.resolveNs(zone);
  } catch (err) {
    throw new Error(
      `DNS-01: cannot find the authoritative name servers of ${zone} (NS lookup${resolvers?.length ? ` via ${resolvers.join(", ")}` : ""} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Is the zone delegated?`,
    );
  }
  return Promise.all(
    names.sort().map(async (name) => {
      if (net.isIP(name)) return { name, addresses: [name], served: false, status: "not asked yet" };
      const [v4, v6] = await Promise.allSettled([r.resolve4(name), r.resolve6(name)]);
      const addresses = [...(v4.status === "fulfilled" ? v4.value : []), ...(v6.status === "fulfilled" ? v6.value : [])];
      return { name, addresses, served: false, status: addresses.length ? "not asked yet" : "no address" };
    }),
  );
}

/** Asks one name server (any of its addresses) for the TXT values of fqdn. */
async function check(ns: NameServer, fqdn: string, value: string, port: number): Promise<void> {
  for (const address of ns.addresses) {
    try {
      const values = (await newResolver([hostPort(address, port)], 2000).resolveTxt(fqdn)).map((chunks) => chunks.join(""));
      if (values.includes(value)) {
        ns.served = true;
        ns.status = "serves the value";
        return;
      }
      ns.status = values.length ? "serves other values only" : "no TXT record yet";
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      ns.status = code === "ENOTFOUND" || code === "ENODATA" ? "no TXT record yet" : `query failed (${code ?? (err as Error).message})`;
    }
  }
}

export async function waitForAuthoritative(req: PropagationRequest): Promise<void> {
  const s = req.settings ?? {};
  const port = s.nameserverPort ?? 53;
  const timeoutMs = (s.timeoutSeconds ?? 300) * 1000;
  const intervalMs = (s.intervalSeconds ?? 5) * 1000;
  const started = Date.now();
  const all = await findNameServers(req.zone, s.resolvers);
  const servers = all.filter((n) => n.addresses.length > 0);
  for (const n of all.filter((x) => x.addresses.length === 0)) req.log(`DNS-01: name server ${n.name} of ${req.zone} has no address; skipping it`);
  if (servers.length === 0) throw new Error(`DNS-01: none of the name servers of ${req.zone} (${all.map((n) => n.name).join(", ")}) has an address`);
  req.log(
    `DNS-01: waiting until all ${servers.length} name servers of ${req.zone} (${servers.map((n) => n.name).join(", ")}) serve TXT ${req.fqdn} (up to ${timeoutMs / 1000} s)`,
  );
  let lastReport = started;
  for (;;) {
    await Promise.all(servers.filter((n) => !n.served).map((n) => check(n, req.fqdn, req.value, port)));
    const waiting = servers.filter((n) => !n.served);
    const elapsed = Date.now() - started;
    if (waiting.length === 0) {
      req.log(`DNS-01: all name servers serve the challenge after ${(elapsed / 1000).toFixed(1)} s`);
      return;
    }
    const summary = waiting.map((n) => `${n.name} (${n.status})`).join(", ");
    if (elapsed + intervalMs > timeoutMs) {
      throw new Error(
        `DNS-01: after ${Math.round(elapsed / 1000)} s the TXT record ${req.fqdn} is still not served by ${summary}. ${req.providerName} accepted the record, but these authoritative servers do not have it yet; check that they receive updates of ${req.zone} (zone transfer/NOTIFY), or raise the propagation timeout.`,
      );
    }
    if (Date.now() - lastReport >= 15000) {
      req.log(`DNS-01: still waiting (${Math.round(elapsed / 1000)} s of ${timeoutMs / 1000} s) for ${summary}`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
