// VPN clients for the hosts: test/lib's VpnClient (a device-like charon in its
// own namespace), pointed at a host instead of the e2e topology's server, and
// the upstream's "who am I" service that shows how a client's traffic arrived.
import { join } from "node:path";
import { clientSwanctlConf, VpnClient } from "../../lib/client";
import type { EspBackend } from "../../lib/esp";
import { inNs, run } from "../../lib/exec";
import type { ClientHost, Topology } from "../../lib/netns";
import { Daemon, startDaemon, waitForLine } from "../../lib/procs";
import type { TestHost } from "./host";
import type { Lab } from "./lab";
import { HOSTNAME, User } from "./region";

const WHOAMI = join(__dirname, "whoami.js");
export const WHOAMI_PORT = 8080;

/** A started (not yet connected) client of `host` in a new namespace that can reach only that host. */
export async function startClientOf(lab: Lab, host: TestHost, user: User, trustedRootPem: string, esp: EspBackend, dir: string): Promise<VpnClient> {
  const ns = await lab.addClient(host.index);
  const spec = { user: user.name, password: user.password, identity: user.name, serverId: HOSTNAME, trustedRootPem };
  const generic = clientSwanctlConf(spec);
  const swanctlConf = generic.replace(/^(\s*remote_addrs = ).*$/m, `$1${host.v4}`);
  if (swanctlConf === generic) throw new Error("test/lib's client config has no remote_addrs line to point at the host");
  const clientHost: ClientHost = { ns: ns.name, index: ns.index, v4: ns.v4, v6: ns.v6 };
  // VpnClient only asks its topology to remove the client's namespace when it stops.
  const topology = { removeClientHost: () => lab.removeClient(ns) } as unknown as Topology;
  const client = new VpnClient(topology, clientHost, join(dir, `client-${ns.name}-${user.name}`), { ...spec, swanctlConf }, esp);
  try {
    await client.start();
  } catch (err) {
    await client.stop();
    throw err;
  }
  return client;
}

/** The upstream's service answering each connection with its source address. */
export async function startWhoami(lab: Lab): Promise<Daemon> {
  const d = startDaemon(inNs(lab.upstream.name, [process.execPath, WHOAMI, "serve", String(WHOAMI_PORT)]));
  await waitForLine(d, /^listening$/, 10_000, "the upstream's whoami service");
  return d;
}

/** Asks the upstream, from the client's namespace, which address it sees; undefined when unreachable. */
export async function sourceSeenUpstream(client: VpnClient, upstreamAddress: string, timeoutMs = 3000): Promise<string | undefined> {
  const r = await run(inNs(client.ns, [process.execPath, WHOAMI, "ask", upstreamAddress, String(WHOAMI_PORT), String(timeoutMs)]), { timeoutMs: timeoutMs + 5000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}
