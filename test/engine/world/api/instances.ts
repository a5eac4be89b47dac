// linode/instances: create, read, update, delete, and the sub-resources the
// provider reads after every create and refresh (ips, disks, configs).
import type { InstanceSpec } from "./backends";
import { IMAGES, PLANS } from "./catalog";
import { firewallBody } from "./firewalls";
import type { Router } from "./http";
import { idParam, invalid, notFound, objectBody, paged } from "./http";
import { ipBody } from "./networking";
import type { InstanceRec, World } from "./state";
import { linodeTime } from "./state";
import { checkAuthorizedKeys, checkLinodeLabel, checkRootPass, checkTags } from "./validate";

const SWAP_MB = 512;

function linkLocalFor(index: number): string {
  return `fe80::ff:fe00:${index.toString(16)}`;
}

function plan(inst: InstanceRec) {
  return PLANS[inst.type];
}

/**
 * The Instance object. Every nested object is present and non-null because the
 * provider dereferences them without checks (terraform-provider-linode
 * linode/instance/flatten.go: flattenInstanceSpecs reads Specs.*, flattenInstanceAlerts
 * Alerts.*, flattenInstanceBackups Backups.Schedule.*); `ipv4` is a list of
 * address strings (linodego instances.go: IPv4 []*net.IP) and `ipv6` the SLAAC
 * address with "/128".
 */
export function instanceBody(inst: InstanceRec) {
  const p = plan(inst);
  return {
    id: inst.id,
    label: inst.label,
    group: inst.group,
    status: inst.status,
    created: inst.created,
    updated: inst.updated,
    type: inst.type,
    region: inst.region,
    image: inst.image,
    ipv4: [inst.ipv4],
    ipv6: `${inst.ipv6Slaac}/128`,
    hypervisor: "kvm",
    specs: { disk: p.disk, memory: p.memory, vcpus: p.vcpus, transfer: p.transfer, gpus: 0, accelerated_devices: 0 },
    alerts: { ...inst.alerts, system_alerts: [], user_alerts: [] },
    backups: { enabled: false, available: false, schedule: { day: null, window: null }, last_successful: null },
    watchdog_enabled: inst.watchdogEnabled,
    tags: [...inst.tags],
    host_uuid: inst.hostUuid,
    has_user_data: inst.userData !== undefined,
    placement_group: null,
    disk_encryption: "disabled",
    lke_cluster_id: null,
    capabilities: [],
    maintenance_policy: "linode/migrate",
    interface_generation: "legacy_config",
    locks: [],
  };
}

/**
 * GET linode/instances/{id}/ips. linodego instance_ips.go unmarshals into
 * pointers the provider dereferences (readResource: instanceNetwork.IPv4.Public,
 * .Private, .Shared), so ipv4 and every list in it are present, and ipv6 has
 * slaac, link_local and global.
 */
export function ipsBody(world: World, inst: InstanceRec) {
  const r = world.rangeOf(inst.id);
  return {
    ipv4: { public: [ipBody(world, inst, inst.ipv4)], private: [], shared: [], reserved: [], vpc: [] },
    ipv6: {
      slaac: ipBody(world, inst, inst.ipv6Slaac),
      link_local: {
        address: inst.linkLocal,
        gateway: "fe80::1",
        subnet_mask: "ffff:ffff:ffff:ffff::",
        prefix: 64,
        type: "ipv6",
        public: false,
        rdns: null,
        linode_id: inst.id,
        region: inst.region,
        interface_id: null,
        vpc_nat_1_1: null,
        reserved: false,
      },
      global: r ? [{ range: r.range, prefix: r.prefix, region: r.region, route_target: inst.ipv6Slaac }] : [],
      vpc: [],
    },
  };
}

function disksBody(inst: InstanceRec) {
  const p = plan(inst);
  const ready = inst.status === "running" ? "ready" : "not ready";
  const base = { status: ready, created: inst.created, updated: inst.updated, disk_encryption: "disabled" };
  return [
    { ...base, id: inst.diskIds[0], label: `${IMAGES[inst.image].label} Disk`, size: p.disk - SWAP_MB, filesystem: "ext4" },
    { ...base, id: inst.diskIds[1], label: `${SWAP_MB} MB Swap Image`, size: SWAP_MB, filesystem: "swap" },
  ];
}

/** The default config profile; `devices` and `helpers` are dereferenced by flattenInstanceConfigs (provider linode/instance/flatten.go). */
function configBody(inst: InstanceRec) {
  const dev = (id: number) => ({ disk_id: id, volume_id: null });
  return {
    id: inst.configId,
    label: `My ${IMAGES[inst.image].label} Disk Profile`,
    comments: "",
    devices: { sda: dev(inst.diskIds[0]), sdb: dev(inst.diskIds[1]), sdc: null, sdd: null, sde: null, sdf: null, sdg: null, sdh: null },
    helpers: { updatedb_disabled: true, distro: true, modules_dep: true, network: true, devtmpfs_automount: true },
    interfaces: [],
    memory_limit: 0,
    kernel: "linode/grub2",
    init_rd: null,
    root_device: "/dev/sda",
    run_level: "default",
    virt_mode: "paravirt",
    created: inst.created,
    updated: inst.updated,
  };
}

function entity(inst: InstanceRec) {
  return { id: inst.id, label: inst.label, type: "linode", url: `/v4/linode/instances/${inst.id}` };
}

export function getInstance(world: World, raw: string): InstanceRec {
  const inst = world.instances.get(idParam(raw));
  if (!inst) throw notFound();
  return inst;
}

function uniqueLabel(world: World, label: string, self?: number): void {
  for (const other of world.instances.values()) {
    if (other.id !== self && other.label === label) throw invalid("label", "Label must be unique among your Linodes");
  }
}

function decodeUserData(world: World, metadata: unknown, region: string, image: string): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object") throw invalid("metadata", "Must be an object");
  const ud = (metadata as { user_data?: unknown }).user_data;
  if (ud === undefined || ud === null || ud === "") return undefined;
  if (typeof ud !== "string" || ud.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(ud)) {
    throw invalid("metadata.user_data", "Must be a valid base64-encoded string");
  }
  if (ud.length > 65535) throw invalid("metadata.user_data", "Must be at most 65535 characters");
  const caps = world.opts.regions.find((r) => r.id === region)?.capabilities ?? [];
  if (!caps.includes("Metadata")) throw invalid("metadata", `Metadata is not supported in region ${region}`);
  if (!IMAGES[image].capabilities.includes("cloud-init")) throw invalid("metadata", `Image ${image} does not support cloud-init metadata`);
  return Buffer.from(ud, "base64").toString("utf8");
}

function unsupported(body: Record<string, unknown>): void {
  // Say so instead of pretending: these features have no counterpart in the world.
  const checks: [string, boolean][] = [
    ["booted", body.booted === false],
    ["private_ip", body.private_ip === true],
    ["backups_enabled", body.backups_enabled === true],
    ["stackscript_id", body.stackscript_id !== undefined && body.stackscript_id !== 0],
    ["backup_id", body.backup_id !== undefined && body.backup_id !== 0],
    ["authorized_users", Array.isArray(body.authorized_users) && body.authorized_users.length > 0],
    ["interfaces", Array.isArray(body.interfaces) && body.interfaces.length > 0],
    ["placement_group", body.placement_group !== undefined && body.placement_group !== null],
    ["ipv4", Array.isArray(body.ipv4) && body.ipv4.length > 0],
  ];
  for (const [field, bad] of checks) if (bad) throw invalid(field, `${field} is not supported by the local Linode world`);
}

function create(world: World, body: Record<string, unknown>) {
  const region = body.region;
  if (typeof region !== "string") throw invalid("region", "region is required");
  const r = world.opts.regions.find((x) => x.id === region);
  if (!r || !r.capabilities.includes("Linodes")) throw invalid("region", "region is not valid");
  const type = body.type;
  if (typeof type !== "string") throw invalid("type", "type is required");
  if (!PLANS[type]) throw invalid("type", "A valid plan type by that ID was not found");
  const image = body.image;
  // An image-less Linode has no disks to boot; the world only makes booted machines.
  if (typeof image !== "string") throw invalid("image", "image is required by the local Linode world");
  if (!IMAGES[image]) throw invalid("image", "No image with this ID exists");
  unsupported(body);
  const rootPass = checkRootPass(body.root_pass);
  const authorizedKeys = checkAuthorizedKeys(body.authorized_keys);
  const tags = checkTags(body.tags);
  const userData = decodeUserData(world, body.metadata, region, image);
  const firewallId = body.firewall_id;
  const fw = typeof firewallId === "number" && firewallId > 0 ? world.firewalls.get(firewallId) : undefined;
  if (typeof firewallId === "number" && firewallId > 0 && !fw) throw invalid("firewall_id", "Firewall not found");

  const id = world.take("instance");
  const label = body.label === undefined || body.label === "" ? `linode${id}` : checkLinodeLabel(body.label);
  uniqueLabel(world, label);
  void rootPass; // accepted and dropped: the world's machines are key-only

  const index = world.takeIndex();
  const a = world.opts.addresses;
  const now = linodeTime();
  const p = PLANS[type];
  const inst: InstanceRec = {
    id,
    index,
    label,
    region,
    type,
    image,
    tags,
    group: typeof body.group === "string" ? body.group : "",
    status: "provisioning",
    ipv4: a.ipv4(index),
    ipv6Slaac: a.ipv6Slaac(index),
    linkLocal: linkLocalFor(index),
    authorizedKeys,
    userData,
    watchdogEnabled: true,
    alerts: { cpu: 90 * p.vcpus, io: 10000, network_in: 10, network_out: 10, transfer_quota: 80 },
    hostUuid: world.newHostUuid(),
    diskIds: [world.take("disk"), world.take("disk")],
    configId: world.take("config"),
    created: now,
    updated: now,
  };
  world.instances.set(id, inst);
  if (fw) fw.devices.push({ id: world.take("device"), linodeId: id, created: now, updated: now });

  const createEvent = world.event("linode_create", entity(inst));
  const spec: InstanceSpec = {
    id,
    label,
    region,
    image,
    type,
    ipv4: inst.ipv4,
    ipv6Slaac: inst.ipv6Slaac,
    authorizedKeys,
    ...(userData !== undefined ? { userData } : {}),
  };
  world
    .enqueue(`machine:${id}`, async () => {
      inst.status = "booting";
      const bootEvent = world.event("linode_boot", entity(inst));
      try {
        await world.opts.machines.create(spec);
      } catch (err) {
        inst.status = "offline";
        createEvent.status = "failed";
        bootEvent.status = "failed";
        throw err;
      }
      inst.status = "running";
      inst.updated = linodeTime();
      createEvent.status = "finished";
      bootEvent.status = "finished";
    })
    .catch(() => undefined);
  const body0 = instanceBody(inst);
  if (fw) return world.applyFirewalls().then(() => body0);
  return body0;
}

function update(world: World, inst: InstanceRec, body: Record<string, unknown>) {
  if (body.label !== undefined) {
    const label = checkLinodeLabel(body.label);
    uniqueLabel(world, label, inst.id);
    inst.label = label;
  }
  if (body.tags !== undefined) inst.tags = checkTags(body.tags);
  if (typeof body.group === "string") inst.group = body.group;
  if (body.watchdog_enabled !== undefined) {
    if (typeof body.watchdog_enabled !== "boolean") throw invalid("watchdog_enabled", "Must be a boolean");
    inst.watchdogEnabled = body.watchdog_enabled;
  }
  if (body.alerts !== undefined && body.alerts !== null) {
    const al = body.alerts as Record<string, unknown>;
    for (const k of Object.keys(inst.alerts) as (keyof InstanceRec["alerts"])[]) {
      if (al[k] === undefined) continue;
      if (typeof al[k] !== "number") throw invalid(`alerts.${k}`, "Must be an integer");
      inst.alerts[k] = al[k];
    }
  }
  inst.updated = linodeTime();
  world.event("linode_update", entity(inst), "finished");
  return instanceBody(inst);
}

/**
 * DELETE: the Linode is gone from the API at once (GET answers 404); its firewall
 * device entries, custom rDNS and routed ranges go with it, and the
 * `linode_delete` event the provider polls (linodego waitfor.go EventPoller)
 * turns `finished` once the machine is destroyed.
 */
function remove(world: World, inst: InstanceRec) {
  world.instances.delete(inst.id);
  let firewallChanged = false;
  for (const fw of world.firewalls.values()) {
    const before = fw.devices.length;
    fw.devices = fw.devices.filter((d) => d.linodeId !== inst.id);
    if (fw.devices.length !== before) firewallChanged = true;
  }
  world.rdns.delete(inst.ipv4);
  world.rdns.delete(inst.ipv6Slaac);
  const ranges = [...world.ranges.values()].filter((r) => r.linodeId === inst.id);
  for (const r of ranges) world.ranges.delete(r.range);
  const ev = world.event("linode_delete", entity(inst));
  world
    .enqueue(`machine:${inst.id}`, async () => {
      try {
        for (const r of ranges) await world.opts.machines.unrouteRange(`${r.range}/${r.prefix}`);
        await world.opts.machines.destroy(inst.id);
      } catch (err) {
        ev.status = "failed";
        throw err;
      }
      ev.status = "finished";
    })
    .catch(() => undefined);
  if (firewallChanged || ranges.length > 0) return world.applyFirewalls().then(() => ({}));
  return {};
}

export function registerInstances(router: Router, world: World): void {
  router
    .on("GET linode/instances", (req) => paged(req, [...world.instances.values()].map(instanceBody)))
    .on("POST linode/instances", (req) => create(world, objectBody(req)))
    .on("GET linode/instances/:id", (_req, [id]) => instanceBody(getInstance(world, id)))
    .on("PUT linode/instances/:id", (req, [id]) => update(world, getInstance(world, id), objectBody(req)))
    .on("DELETE linode/instances/:id", (_req, [id]) => remove(world, getInstance(world, id)))
    .on("GET linode/instances/:id/ips", (_req, [id]) => ipsBody(world, getInstance(world, id)))
    .on("GET linode/instances/:id/ips/:address", (_req, [id, address]) => {
      const inst = getInstance(world, id);
      if (address !== inst.ipv4 && address !== inst.ipv6Slaac) throw notFound();
      return ipBody(world, inst, address);
    })
    .on("GET linode/instances/:id/disks", (req, [id]) => paged(req, disksBody(getInstance(world, id))))
    .on("GET linode/instances/:id/disks/:disk", (_req, [id, disk]) => {
      const d = disksBody(getInstance(world, id)).find((x) => x.id === idParam(disk));
      if (!d) throw notFound();
      return d;
    })
    .on("GET linode/instances/:id/configs", (req, [id]) => paged(req, [configBody(getInstance(world, id))]))
    .on("GET linode/instances/:id/configs/:config", (_req, [id, config]) => {
      const inst = getInstance(world, id);
      if (idParam(config) !== inst.configId) throw notFound();
      return configBody(inst);
    })
    .on("GET linode/instances/:id/firewalls", (req, [id]) => {
      const fw = world.firewallOf(getInstance(world, id).id);
      return paged(req, fw ? [firewallBody(world, fw)] : []);
    })
    // Backups are never enabled in the world; the shape is linodego instance_snapshots.go InstanceBackupsResponse.
    .on("GET linode/instances/:id/backups", (_req, [id]) => {
      getInstance(world, id);
      return { automatic: [], snapshot: { current: null, in_progress: null } };
    })
    .on("GET linode/instances/:id/volumes", (req, [id]) => {
      getInstance(world, id);
      return paged(req, []);
    });
}
