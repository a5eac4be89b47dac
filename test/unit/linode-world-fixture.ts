// The local Linode API (test/engine/world/api) with in-memory backends that record
// what the API hands them, for linode-world-api-*.test.ts.
import assert from "node:assert/strict";
import { startLinodeApi } from "../engine/world/api";
import type { DnsRecordSpec, FirewallState, InstanceSpec, LinodeApiHandle } from "../engine/world/api";

export const TOKEN = "world-token";
export const ZONE = "example.com";
export const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOa0bwrBhOHxL7fhqvXBeW9q2c1YjvUBK8fGUIP0ZvSa test";
export const PASS = "Zq8!vN3#pL6@wR1$kT5%";
export const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

export interface Fakes {
  api: LinodeApiHandle;
  created: InstanceSpec[];
  destroyed: number[];
  routed: [number, string][];
  unrouted: string[];
  applies: FirewallState[][];
  zone: DnsRecordSpec[];
  /** set to hold machine create/destroy until released */
  holdCreate?: Deferred;
  holdDestroy?: Deferred;
  resolveFails: boolean;
  maxFirewallConcurrency: number;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string | null; json: any }>;
}

export async function world(t: { after(fn: () => Promise<void>): void }): Promise<Fakes> {
  let inFlight = 0;
  const f = {
    created: [],
    destroyed: [],
    routed: [],
    unrouted: [],
    applies: [],
    zone: [],
    resolveFails: false,
    maxFirewallConcurrency: 0,
  } as unknown as Fakes;
  f.api = await startLinodeApi({
    token: TOKEN,
    zones: [ZONE],
    regions: [
      { id: "us-east", capabilities: ["Linodes", "Cloud Firewall", "Metadata", "Vlans"] },
      { id: "us-west", capabilities: ["Linodes", "Cloud Firewall"] },
    ],
    machines: {
      async create(spec) {
        f.created.push(spec);
        if (f.holdCreate) await f.holdCreate.promise;
      },
      async destroy(id) {
        if (f.holdDestroy) await f.holdDestroy.promise;
        f.destroyed.push(id);
      },
      async routeRange(id, range) {
        f.routed.push([id, range]);
      },
      async unrouteRange(range) {
        f.unrouted.push(range);
      },
    },
    firewalls: {
      async apply(all) {
        inFlight++;
        f.maxFirewallConcurrency = Math.max(f.maxFirewallConcurrency, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        f.applies.push(all);
        inFlight--;
      },
    },
    dns: {
      async apply(zone, records) {
        assert.equal(zone, ZONE);
        f.zone = records;
      },
      async resolve(fqdn) {
        if (f.resolveFails) throw new Error("SERVFAIL");
        return f.zone.filter((r) => (r.type === "A" || r.type === "AAAA") && (r.name ? `${r.name}.${ZONE}` : ZONE) === fqdn).map((r) => r.target);
      },
    },
    addresses: {
      ipv4: (i) => `203.0.113.${10 + i}`,
      ipv6Slaac: (i) => `2001:db8:7700::${(100 + i).toString(16)}`,
      range64: (i) => `2001:db8:77${10 + i}::/64`,
    },
  });
  f.call = async (method, path, body, headers = {}) => {
    const res = await fetch(`${f.api.url}/v4/${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: "application/json", "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : undefined };
  };
  t.after(() => f.api.stop());
  return f;
}

export const instanceArgs = (over: Record<string, unknown> = {}) => ({
  region: "us-east",
  type: "g6-nanode-1",
  image: "linode/debian12",
  label: "vpn-dev-us-east",
  root_pass: PASS,
  authorized_keys: [KEY],
  tags: ["vpn-dev"],
  booted: true,
  ...over,
});

export async function running(f: Fakes, over: Record<string, unknown> = {}): Promise<any> {
  const r = await f.call("POST", "linode/instances", instanceArgs(over));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await f.api.idle();
  return (await f.call("GET", `linode/instances/${r.json.id}`)).json;
}

export function field(r: { json: any }): string | undefined {
  return r.json?.errors?.[0]?.field;
}
