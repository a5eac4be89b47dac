// The API's state and the serialized lanes through which it drives the backends.
import { randomUUID } from "node:crypto";
import type { FirewallState, LinodeFirewallRule, WorldApiOptions } from "./backends";

/**
 * Linode timestamps: "2006-01-02T15:04:05", UTC, no zone and no fraction
 * (linodego internal/parseabletime parses exactly this layout; anything else
 * fails the whole response).
 */
export function linodeTime(d = new Date()): string {
  return d.toISOString().slice(0, 19);
}

export interface InstanceRec {
  id: number;
  /** 1-based creation index, the AddressPlan's `i` */
  index: number;
  label: string;
  region: string;
  type: string;
  image: string;
  tags: string[];
  group: string;
  status: "provisioning" | "booting" | "running" | "offline";
  ipv4: string;
  ipv6Slaac: string;
  linkLocal: string;
  authorizedKeys: string[];
  userData?: string;
  watchdogEnabled: boolean;
  alerts: { cpu: number; io: number; network_in: number; network_out: number; transfer_quota: number };
  hostUuid: string;
  diskIds: [number, number];
  configId: number;
  created: string;
  updated: string;
}

export interface EventRec {
  id: number;
  action: string;
  status: "scheduled" | "started" | "finished" | "failed" | "notification";
  entity: { id: number | string; label: string; type: string; url: string };
  created: string;
  seen: boolean;
  read: boolean;
}

export interface FirewallRules {
  inbound: LinodeFirewallRule[];
  outbound: LinodeFirewallRule[];
  inbound_policy: "ACCEPT" | "DROP";
  outbound_policy: "ACCEPT" | "DROP";
  version: number;
}

export interface FirewallRec {
  id: number;
  label: string;
  status: "enabled" | "disabled";
  tags: string[];
  rules: FirewallRules;
  devices: { id: number; linodeId: number; created: string; updated: string }[];
  created: string;
  updated: string;
}

export interface RangeRec {
  /** without the prefix, as GET networking/ipv6/ranges/{range} wants it */
  range: string;
  prefix: number;
  linodeId: number;
  region: string;
  created: string;
}

export interface DomainRec {
  id: number;
  domain: string;
  created: string;
  updated: string;
}

export interface RecordRec {
  id: number;
  domainId: number;
  type: string;
  name: string;
  target: string;
  priority: number;
  weight: number;
  port: number;
  service: string | null;
  protocol: string | null;
  ttl_sec: number;
  tag: string | null;
  created: string;
  updated: string;
}

export class World {
  readonly instances = new Map<number, InstanceRec>();
  readonly events: EventRec[] = [];
  readonly firewalls = new Map<number, FirewallRec>();
  readonly ranges = new Map<string, RangeRec>();
  readonly domains: DomainRec[];
  readonly records = new Map<number, RecordRec>();
  /** Custom reverse DNS by address; absent = Linode's default name. */
  readonly rdns = new Map<string, string>();
  /** Backend failures, newest last (shown in state(); the API answered 500 where it waited). */
  readonly backendErrors: { at: string; lane: string; message: string }[] = [];

  private nextIndex = 1;
  private seq = { instance: 52000000, event: 900000000, firewall: 31000, device: 77000, record: 2400000, disk: 11000000, config: 13000000 };
  private lanes = new Map<string, Promise<void>>();
  private generation = 0;

  constructor(readonly opts: WorldApiOptions) {
    const now = linodeTime();
    this.domains = opts.zones.map((z, i) => ({ id: 1700 + i, domain: z.replace(/\.$/, "").toLowerCase(), created: now, updated: now }));
  }

  take(kind: keyof World["seq"]): number {
    return ++this.seq[kind];
  }

  takeIndex(): number {
    return this.nextIndex++;
  }

  /**
   * Runs `fn` after everything queued on `lane`; one lane's calls never overlap.
   * A failure is recorded and rethrown to the caller, and does not block the lane.
   */
  enqueue(lane: string, fn: () => Promise<void>): Promise<void> {
    this.generation++;
    const prev = this.lanes.get(lane) ?? Promise.resolve();
    const run = prev.then(fn).catch((err: unknown) => {
      this.backendErrors.push({ at: linodeTime(), lane, message: err instanceof Error ? err.message : String(err) });
      throw err;
    });
    const settled = run.catch(() => undefined);
    this.lanes.set(lane, settled);
    return run;
  }

  async idle(): Promise<void> {
    for (;;) {
      const gen = this.generation;
      await Promise.all([...this.lanes.values()]);
      if (gen === this.generation) return;
    }
  }

  event(action: string, entity: EventRec["entity"], status: EventRec["status"] = "started"): EventRec {
    const e: EventRec = { id: this.take("event"), action, status, entity, created: linodeTime(), seen: false, read: false };
    this.events.push(e);
    return e;
  }

  rangeOf(linodeId: number): RangeRec | undefined {
    return [...this.ranges.values()].find((r) => r.linodeId === linodeId);
  }

  firewallOf(linodeId: number): FirewallRec | undefined {
    return [...this.firewalls.values()].find((f) => f.devices.some((d) => d.linodeId === linodeId));
  }

  /** What the FirewallBackend enforces: every firewall, devices resolved to addresses. */
  firewallStates(): FirewallState[] {
    return [...this.firewalls.values()].map((f) => ({
      id: f.id,
      label: f.label,
      status: f.status,
      inbound_policy: f.rules.inbound_policy,
      outbound_policy: f.rules.outbound_policy,
      inbound: structuredClone(f.rules.inbound),
      outbound: structuredClone(f.rules.outbound),
      devices: f.devices.flatMap((d) => {
        const inst = this.instances.get(d.linodeId);
        if (!inst) return [];
        const r = this.rangeOf(inst.id);
        return [{ linodeId: inst.id, ipv4: inst.ipv4, ipv6Slaac: inst.ipv6Slaac, ...(r ? { range: `${r.range}/${r.prefix}` } : {}) }];
      }),
    }));
  }

  /** Queue a whole-set firewall apply; resolves once applied. */
  applyFirewalls(): Promise<void> {
    return this.enqueue("firewalls", () => this.opts.firewalls.apply(this.firewallStates()));
  }

  /** Queue a whole-zone DNS apply for the domain; resolves once served. */
  applyZone(domainId: number): Promise<void> {
    const d = this.domains.find((x) => x.id === domainId)!;
    return this.enqueue(`dns:${d.domain}`, async () => {
      const records = [...this.records.values()]
        .filter((r) => r.domainId === domainId)
        .map((r) => ({ name: r.name, type: r.type, target: r.target, ttl_sec: r.ttl_sec || 300 }));
      await this.opts.dns.apply(d.domain, records);
    });
  }

  newHostUuid(): string {
    return randomUUID();
  }

  snapshot(): unknown {
    return structuredClone({
      instances: [...this.instances.values()].map(({ userData, ...rest }) => ({ ...rest, hasUserData: userData !== undefined })),
      firewalls: [...this.firewalls.values()],
      ranges: [...this.ranges.values()],
      domains: this.domains,
      records: [...this.records.values()],
      rdns: Object.fromEntries(this.rdns),
      events: this.events,
      backendErrors: this.backendErrors,
    });
  }
}
