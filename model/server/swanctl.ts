// /etc/swanctl/swanctl.conf: one road-warrior connection (plus, with static-IP
// users, a selector and one connection per static user), pools, and one EAP
// secret per user.
import { template } from "../../templates";
import { swanSecret, swanString } from "../escape";
import { serverEspProposals, serverIkeProposals } from "../proposals";
import { serverLifetimeSettings } from "../rekey";
import type { UniqueIds, UserSpec, Compat } from "../types";
import { poolLayout } from "./pools";

export const SERVER_CERT_FILE = "server.pem";

export interface SwanctlInput {
  hostname: string;
  users: UserSpec[];
  /** Password per user name; every user must have one. */
  passwords: Record<string, string>;
  poolV4: string;
  poolV6: string;
  dnsServers: string[];
  compat: Compat;
  uniqueIds: UniqueIds;
  /**
   * Who checks the users' passwords: charon itself (the secrets below), or the local
   * FreeRADIUS (model/server/aaa.ts), which then holds them and swanctl.conf none.
   */
  radius?: boolean;
}

export interface ConnectionDef {
  name: string;
  pools: string[];
  /** EAP identity this connection is for; undefined = any user (EAP-Identity is requested). */
  eapId?: string;
  /** Group the peer must be in: set only on the selector, which nobody passes. */
  requireGroup?: string;
  /** Subnets that together cover every address (see rank()); undefined = %any. */
  remoteAddrs?: string[];
}

/** The selector's group: no EAP-MSCHAPv2 user is ever in it, so charon always moves on. */
const SELECTOR_GROUP = "select-connection-by-eap-identity";

/**
 * Every IPv4 and IPv6 address, as 2^bits subnets of length `bits`. charon ranks a
 * connection whose remote_addrs holds the client's address in a /n above one that
 * holds it in a /m (m < n) or in %any, so this orders connections that match any
 * client alike, independent of the order in which they were (re)loaded.
 */
function rank(bits: 1 | 2): string[] {
  const out: string[] = [];
  for (let i = 0; i < 1 << bits; i++) out.push(`${i << (8 - bits)}.0.0.0/${bits}`);
  for (let i = 0; i < 1 << bits; i++) out.push(`${i === 0 ? "" : (i << (16 - bits)).toString(16)}::/${bits}`);
  return out;
}

/**
 * Static IPv4 addresses by EAP identity, for every client, including stock Windows
 * (which sends its IP address as IKE identity, so the user is known only after EAP).
 *
 * When IDi arrives, charon lists the connections that match, best first, and runs
 * EAP with the first one; afterwards it walks the list until a connection's
 * constraints match the authentication done ("switching to peer config ...") and
 * assigns addresses from that one's pools. So, ranked by remote_addrs:
 *  1. `rw-select` (rank 2) comes first: eap_id = %any makes charon ask for the EAP
 *     identity (a connection with a fixed eap_id skips EAP-Identity, and clients
 *     such as strongSwan's then answer MSCHAPv2 with their IKE identity, an IP
 *     address), and it requires a group no user is in, so it is never kept;
 *  2. one `rw-static-<offset>` per static user (rank 1): eap_id = that user, its
 *     one-address pool (and the shared IPv6 pool);
 *  3. `rw` (%any, eap_id = %any) for everyone else.
 * The ranks matter: a connection added by a live reload is enumerated after the
 * ones already loaded, so file order alone would put a new static user behind `rw`.
 * Measured with strongSwan 5.9.8 (test/e2e/static-ip.test.ts): static users get
 * their address whether their IKE identity is their name or their IP address, also
 * after a live reload. Limitation: a static user has one IPv4 address, so a second
 * device of that user connected at the same time gets no IPv4 address (IPv6 works).
 */
function staticConnections(users: UserSpec[], staticByUser: Map<string, { name: string }>, v6Pools: string[]): ConnectionDef[] {
  const statics = users.filter((u) => staticByUser.has(u.name));
  if (statics.length === 0) return [];
  return [
    { name: "rw-select", pools: [], requireGroup: SELECTOR_GROUP, remoteAddrs: rank(2) },
    ...statics.map((u) => {
      const pool = staticByUser.get(u.name)!.name;
      return { name: pool.replace(/^static-v4-/, "rw-static-"), eapId: u.name, pools: [pool, ...v6Pools], remoteAddrs: rank(1) };
    }),
  ];
}

export function renderSwanctlConf(input: SwanctlInput): string {
  const layout = poolLayout(input.poolV4, input.poolV6, input.users, input.dnsServers);
  const sharedNames = layout.shared.map((p) => p.name);
  const v6 = layout.shared.filter((p) => p.name === "pool-v6").map((p) => p.name);
  const connections = [...staticConnections(input.users, layout.staticByUser, v6), { name: "rw", pools: sharedNames }];
  const users = input.radius
    ? []
    : input.users.map((u) => {
        const password = input.passwords[u.name];
        if (password === undefined) throw new Error(`no password for user ${u.name}`);
        return { name: u.name, password };
      });
  return template("swanctl.conf.ejs")({
    connections,
    pools: [...layout.shared, ...layout.staticByUser.values()],
    users,
    hostname: input.hostname,
    certFile: SERVER_CERT_FILE,
    uniqueIds: input.uniqueIds,
    remoteAuth: input.radius ? "eap-radius" : "eap-mschapv2",
    ikeProposals: serverIkeProposals(input.compat),
    espProposals: serverEspProposals(input.compat),
    lifetimes: serverLifetimeSettings(),
    q: swanString,
    secret: swanSecret,
  });
}
