// The clients' resolver on the server: unbound, DNSSEC-validating,
// listening on the server's first address in each client pool and answering only
// the pools. Pushed to clients unless vpn:dnsServers names other servers.
import { template } from "../../templates";
import { resolverAddresses } from "../addresses";

export const RESOLVER_PATHS = {
  /** Debian's unbound.conf includes unbound.conf.d/*.conf. */
  unboundConf: "/etc/unbound/unbound.conf.d/vpn-resolver.conf",
  resolverAddressUnit: "/etc/systemd/system/vpn-resolver-address.service",
} as const;

/** What clients get as DNS: vpn:dnsServers when set, else the server's own resolver (v4, v6). */
export function pushedDnsServers(dnsServers: string[], poolV4: string, poolV6: string): string[] {
  if (dnsServers.length > 0) return dnsServers;
  const r = resolverAddresses(poolV4, poolV6);
  return [r.v4, r.v6];
}

export function renderUnboundConf(poolV4: string, poolV6: string): string {
  const r = resolverAddresses(poolV4, poolV6);
  return template("unbound.conf.ejs")({ listen: [r.v4, r.v6], pools: [poolV4, poolV6], privateRanges: [poolV4, poolV6, "169.254.0.0/16", "fe80::/10"] });
}

export function renderResolverAddressUnit(poolV4: string, poolV6: string): string {
  const r = resolverAddresses(poolV4, poolV6);
  return template("vpn-resolver-address.service.ejs")({ addresses: [`${r.v4}/32`, `${r.v6}/128`] });
}
