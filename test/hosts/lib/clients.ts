// VPN clients and the upstream for the hosts, from test/lib (the e2e harness):
// its VpnClient (a device-like charon in its own namespace) pointed at a host,
// and its "who am I" service in this lab's upstream namespace. Both were written
// for test/lib's Topology; they use only the two members the adapter provides.
import { join } from "node:path";
import { orStop, VpnClient } from "../../lib/client";
import type { EspBackend } from "../../lib/esp";
import type { ClientHost, Topology } from "../../lib/netns";
import { probeTcp, startWhoami, WhoamiServer } from "../../lib/upstream";
import type { TestHost } from "./host";
import type { Lab, Namespace } from "./lab";
import { HOSTNAME, User } from "./region";

/** The parts of test/lib's Topology that VpnClient (stop) and startWhoami use. */
function asTopology(lab: Lab, client?: Namespace): Topology {
  const adapter: Pick<Topology, "upstream" | "removeClientHost"> = {
    upstream: lab.upstream.name,
    removeClientHost: async () => {
      if (client) await lab.removeClient(client);
    },
  };
  return adapter as Topology;
}

/** A started (not yet connected) client of `host` in a new namespace that can reach only that host. */
export async function startClientOf(lab: Lab, host: TestHost, user: User, trustedRootPem: string, esp: EspBackend, dir: string): Promise<VpnClient> {
  const ns = await lab.addClient(host.index);
  const clientHost: ClientHost = { ns: ns.name, index: ns.index, v4: ns.v4, v6: ns.v6 };
  const spec = { user: user.name, password: user.password, identity: user.name, serverId: HOSTNAME, serverAddress: host.v4, trustedRootPem };
  const client = new VpnClient(asTopology(lab, ns), clientHost, join(dir, `client-${ns.name}-${user.name}`), spec, esp);
  return orStop(client, () => client.start());
}

/** The upstream's service that answers each connection with its source address. */
export function startUpstreamWhoami(lab: Lab): Promise<WhoamiServer> {
  return startWhoami(asTopology(lab));
}

/** The source address the upstream sees for a connection from the client's namespace; undefined when unreachable. */
export async function sourceSeenUpstream(client: VpnClient, upstreamAddress: string): Promise<string | undefined> {
  const r = await probeTcp(client.ns, upstreamAddress);
  return r.ok ? r.answer : undefined;
}
