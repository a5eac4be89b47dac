// Picks the DNS-01 solver named by the `dns.provider` input.
import type { DnsSettings, DnsSolver, Logger } from "../types";
import { linodeSolver } from "./linode";
import { rfc2136Solver } from "./rfc2136";

export function makeSolver(dns: DnsSettings, credential: string, log: Logger, timeoutMs: number): DnsSolver {
  switch (dns.provider) {
    case "linode":
      return linodeSolver(dns, credential, log, timeoutMs);
    case "rfc2136":
      return rfc2136Solver(dns, credential, log, timeoutMs);
    default:
      throw new Error(`unknown DNS provider ${JSON.stringify((dns as { provider: unknown }).provider)}; use linode or rfc2136`);
  }
}
