// /etc/swanctl/swanctl.conf: one road-warrior connection (plus one per static-IP
// user), pools, and one EAP secret per user.
import { template } from "../../templates";
import { swanSecret, swanString } from "../escape";
import { serverEspProposals, serverIkeProposals } from "../proposals";
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
}

export function renderSwanctlConf(input: SwanctlInput): string {
  const layout = poolLayout(input.poolV4, input.poolV6, input.users, input.dnsServers);
  const sharedNames = layout.shared.map((p) => p.name);
  const v6 = layout.shared.filter((p) => p.name === "pool-v6").map((p) => p.name);
  // Static users are recognised by their IKE identity (the profiles set it to the
  // user name) and must then prove it with EAP as that same name.
  const staticConns = input.users
    .filter((u) => layout.staticByUser.has(u.name))
    .map((u, i) => ({ name: `rw-static-${i + 1}`, remoteId: u.name, eapId: u.name, pools: [layout.staticByUser.get(u.name)!.name, ...v6] }));
  const connections = [{ name: "rw", pools: sharedNames }, ...staticConns];
  const users = input.users.map((u) => {
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
    ikeProposals: serverIkeProposals(input.compat),
    espProposals: serverEspProposals(input.compat),
    q: swanString,
    secret: swanSecret,
  });
}
