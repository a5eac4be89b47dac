// Regenerates the captured status-script outputs in this folder (as root, with the
// e2e tier's packages): a real charon with the rendered files (test/lib) and two
// clients, alice (traffic sent) and bob (static IPv4, identified by IP address
// like stock Windows), then the rendered status script run in the server's
// namespace against that charon's vici socket and certificate copy.
//   flock /tmp/vpn-root-tiers.lock node --require ts-node/register/transpile-only test/unit/status-samples/capture.ts
// The files hold a throwaway test certificate and documentation addresses only.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PATHS } from "../../../model/server/files";
import { renderStatusScript } from "../../../model/status/script";
import { inNs, runOk } from "../../lib/exec";
import { HOSTNAME, renderFixture } from "../../lib/fixture";
import { createTopology, NET } from "../../lib/netns";
import { createPki } from "../../lib/pki";
import { startServer } from "../../lib/server";
import { startWhoami } from "../../lib/upstream";
import { Vpn } from "../../lib/vpn";

const users = [
  { name: "alice", password: "alice-Passw0rd-for-tests" },
  { name: "bob", password: "bob-Passw0rd-for-tests", staticIpv4: "10.47.83.50" },
];

async function main(): Promise<void> {
  const topology = await createTopology();
  let vpn: Vpn | undefined;
  try {
    const pki = await createPki(join(topology.dir, "pki"), HOSTNAME);
    const render = renderFixture({ topology, pki, users });
    // Only the files the e2e harness places (strongSwan's, the firewall, sysctl): all this needs.
    const known = new Set<string>([PATHS.strongswanConf, PATHS.nftablesConf, PATHS.sysctlConf, PATHS.usersFile]);
    const files = render.files.filter((f) => f.path.startsWith("/etc/swanctl/") || known.has(f.path));
    const server = await startServer(topology, { files });
    vpn = new Vpn(topology, pki, render, server, users);
    vpn.whoami = await startWhoami(topology);
    const script = renderStatusScript({ viciSocket: join(server.dir, "charon.vici"), certFile: join(server.swanctlDir, "x509", "server.pem") });
    const capture = async (file: string) => {
      const r = await runOk(inNs(server.ns, ["bash", "-c", script]), { timeoutMs: 120_000 });
      // apt's list is this machine's, not a server's: a few lines show the format.
      let inst = 0;
      const kept = r.stdout.split("\n").filter((l) => !l.startsWith("@@inst ") || inst++ < 4);
      writeFileSync(join(__dirname, file), kept.join("\n"));
    };
    await capture("idle.txt");
    const a = await vpn.connect({ user: "alice", password: users[0].password, identity: "alice" });
    const b = await vpn.connect({ user: "bob", password: users[1].password });
    await vpn.assertReaches(a.ns, NET.upstreamV4, NET.serverUpV4);
    await capture("two-users.txt");
    await vpn.drop(b);
    await capture("bob-gone.txt");
  } finally {
    if (vpn) await vpn.teardown();
    else await topology.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
