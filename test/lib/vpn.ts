// One call for the usual setup: topology + throwaway PKI + rendered server
// running, with helpers to connect clients and one teardown for all of it.
//
//   const vpn = await createVpn({ users: [{ name: "alice", password: "..." }] });
//   try {
//     const c = await vpn.connect({ user: "alice", password: "..." });
//     c.vips.v4; c.vips.v6; c.dns();
//   } finally {
//     await vpn.teardown();
//   }
import { join } from "node:path";
import type { RegionRender } from "../../model/render";
import type { ServerFile } from "../../model/server/files";
import type { RunResult } from "./exec";
import { ClientSpec, connectClient, startClient, VpnClient } from "./client";
import { FixtureOptions, FixtureUser, HOSTNAME, renderFixture } from "./fixture";
import { createTopology, Topology } from "./netns";
import { createPki, KeyType, TestPki } from "./pki";
import { startServer, VpnServer } from "./server";
import { probeTcp, startWhoami, WhoamiServer } from "./upstream";

export interface VpnOptions extends Omit<FixtureOptions, "topology" | "pki"> {
  /** Server certificate key type (default rsa, as the ACME code requests). */
  keyType?: KeyType;
  /** Also start the upstream whoami service. */
  whoami?: boolean;
  /** charon filelog levels for the server. */
  serverLogLevels?: string;
  /** Test-only rewrites of the rendered files before the server starts (test/lib/lifetimes.ts). */
  transformFiles?: (files: ServerFile[]) => ServerFile[];
}

/** A client spec without the trust anchor (the VPN fills in its root). */
export type VpnClientSpec = Omit<ClientSpec, "trustedRootPem"> & { trustedRootPem?: string };

export class Vpn {
  private readonly clients = new Set<VpnClient>();
  whoami?: WhoamiServer;

  constructor(
    readonly topology: Topology,
    readonly pki: TestPki,
    readonly render: RegionRender,
    readonly server: VpnServer,
    readonly users: FixtureUser[],
  ) {}

  /** Password of a fixture user. */
  password(name: string): string {
    const u = this.users.find((x) => x.name === name);
    if (!u) throw new Error(`no fixture user ${name}`);
    return u.password;
  }

  private spec(s: VpnClientSpec): ClientSpec {
    return { ...s, trustedRootPem: s.trustedRootPem ?? this.pki.rootPem };
  }

  /** A client host with charon running and its config loaded, not connected yet. */
  async client(spec: VpnClientSpec): Promise<VpnClient> {
    const c = await startClient(this.topology, this.spec(spec));
    this.clients.add(c);
    return c;
  }

  /** A connected client (throws with the client's log if the tunnel does not come up). */
  async connect(spec: VpnClientSpec): Promise<VpnClient> {
    const c = await connectClient(this.topology, this.spec(spec));
    this.clients.add(c);
    return c;
  }

  /** Stops a client and removes its namespace. */
  async drop(c: VpnClient): Promise<void> {
    this.clients.delete(c);
    await c.stop();
  }

  /** The server files for other options (e.g. more users), same topology and certificate. */
  rerenderFiles(opts: Omit<FixtureOptions, "topology" | "pki">): ServerFile[] {
    return renderFixture({ ...opts, topology: this.topology, pki: this.pki }).files;
  }

  /** Re-renders with other options and reloads the server live (swanctl --load-all). */
  async rerender(opts: Omit<FixtureOptions, "topology" | "pki">): Promise<RunResult> {
    return this.server.reload(this.rerenderFiles(opts));
  }

  /**
   * Asserts that a TCP connection from `ns` to the upstream whoami service gets
   * through and is seen from `expectedSource`; on failure the message carries what
   * the service and the server saw.
   */
  async assertReaches(ns: string, target: string, expectedSource: string | undefined): Promise<void> {
    if (!this.whoami) throw new Error("createVpn({ whoami: true }) is needed");
    const r = await probeTcp(ns, target);
    if (r.ok && r.answer === expectedSource) return;
    const who = this.whoami.daemon;
    throw new Error(
      `expected ${ns} -> ${target} to arrive from ${expectedSource}, got ${JSON.stringify(r)}; ` +
        `whoami ${who.running ? "running" : `exited (${who.exitStatus})`}, output tail: ${who.output.slice(-600)}\n` +
        `server log tail:\n${this.server.log().slice(-3000)}`,
    );
  }

  /** Stops everything this VPN started and deletes its namespaces. Safe to call twice. */
  async teardown(): Promise<void> {
    for (const c of this.clients) await c.stop().catch(() => undefined);
    this.clients.clear();
    await this.whoami?.stop().catch(() => undefined);
    await this.server.stop().catch(() => undefined);
    await this.topology.teardown();
  }
}

/** Topology, PKI, rendered server files, server running (and optionally the upstream service). */
export async function createVpn(opts: VpnOptions): Promise<Vpn> {
  const topology = await createTopology();
  try {
    const pki = await createPki(join(topology.dir, "pki"), HOSTNAME, opts.keyType);
    const render = renderFixture({ ...opts, topology, pki });
    const files = opts.transformFiles ? opts.transformFiles(render.files) : render.files;
    const server = await startServer(topology, { files, logLevels: opts.serverLogLevels });
    const vpn = new Vpn(topology, pki, render, server, opts.users);
    if (opts.whoami) vpn.whoami = await startWhoami(topology);
    return vpn;
  } catch (err) {
    await topology.teardown();
    throw err;
  }
}
