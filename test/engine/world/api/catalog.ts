// The world's fixed catalog: plans (linode/types), public images (images) and
// regions, in the shapes linodego parses (types.go LinodeType, images.go Image,
// regions.go Region).
import type { Router } from "./http";
import { notFound, paged } from "./http";
import type { World } from "./state";

export interface PlanSpec {
  label: string;
  disk: number;
  memory: number;
  vcpus: number;
  transfer: number;
  network_out: number;
  monthly: number;
}

export const PLANS: Record<string, PlanSpec> = {
  "g6-nanode-1": { label: "Nanode 1GB", disk: 25600, memory: 1024, vcpus: 1, transfer: 1000, network_out: 1000, monthly: 5 },
  "g6-standard-1": { label: "Linode 2GB", disk: 51200, memory: 2048, vcpus: 1, transfer: 2000, network_out: 2000, monthly: 12 },
  "g6-standard-2": { label: "Linode 4GB", disk: 81920, memory: 4096, vcpus: 2, transfer: 4000, network_out: 4000, monthly: 24 },
};

export interface ImageSpec {
  label: string;
  vendor: string;
  /** "cloud-init" marks images that consume metadata user data. */
  capabilities: string[];
}

/** A small list of public images; alpine has no cloud-init, so metadata is refused with it (as on Linode). */
export const IMAGES: Record<string, ImageSpec> = {
  "linode/debian12": { label: "Debian 12", vendor: "Debian", capabilities: ["cloud-init"] },
  "linode/debian11": { label: "Debian 11", vendor: "Debian", capabilities: ["cloud-init"] },
  "linode/ubuntu24.04": { label: "Ubuntu 24.04 LTS", vendor: "Ubuntu", capabilities: ["cloud-init"] },
  "linode/ubuntu22.04": { label: "Ubuntu 22.04 LTS", vendor: "Ubuntu", capabilities: ["cloud-init"] },
  "linode/alpine3.20": { label: "Alpine 3.20", vendor: "Alpine", capabilities: [] },
};

const CREATED = "2024-01-01T00:00:00";

function typeBody(id: string, p: PlanSpec) {
  const price = { hourly: Math.round((p.monthly / 730) * 1000) / 1000, monthly: p.monthly };
  return {
    id,
    label: p.label,
    class: id.startsWith("g6-nanode") ? "nanode" : "standard",
    disk: p.disk,
    memory: p.memory,
    vcpus: p.vcpus,
    transfer: p.transfer,
    network_out: p.network_out,
    gpus: 0,
    accelerated_devices: 0,
    price,
    region_prices: [],
    addons: { backups: { price: { hourly: 0.003, monthly: 2 }, region_prices: [] } },
    successor: null,
  };
}

function imageBody(id: string, i: ImageSpec) {
  return {
    id,
    label: i.label,
    description: "",
    created: CREATED,
    updated: CREATED,
    created_by: "linode",
    deprecated: false,
    is_public: true,
    size: 1300,
    total_size: 1300,
    type: "manual",
    vendor: i.vendor,
    status: "available",
    capabilities: i.capabilities,
    tags: [],
    regions: [],
    eol: null,
    expiry: null,
  };
}

/** Region shape; `resolvers`, `placement_group_limits`, `monitors` are read unconditionally by the regions data source (provider linode/region/framework_models.go). */
export function regionBody(r: { id: string; capabilities: string[] }) {
  return {
    id: r.id,
    label: `World (${r.id})`,
    country: "us",
    capabilities: [...r.capabilities],
    status: "ok",
    site_type: "core",
    resolvers: { ipv4: "203.0.113.2", ipv6: "2001:db8:7700::2" },
    placement_group_limits: { maximum_pgs_per_customer: 100, maximum_linodes_per_pg: 5 },
    monitors: { alerts: [], metrics: [] },
  };
}

function image(id: string) {
  if (!Object.hasOwn(IMAGES, id)) throw notFound();
  const i = IMAGES[id];
  return imageBody(id, i);
}

export function registerCatalog(router: Router, world: World): void {
  router
    .on("GET linode/types", (req) =>
      paged(
        req,
        Object.entries(PLANS).map(([id, p]) => typeBody(id, p)),
      ),
    )
    .on("GET linode/types/:id", (_req, [id]) => {
      const p = PLANS[id];
      if (!p) throw notFound();
      return typeBody(id, p);
    })
    .on("GET images", (req) =>
      paged(
        req,
        Object.entries(IMAGES).map(([id, i]) => imageBody(id, i)),
      ),
    )
    // An image id holds a slash: linodego sends it escaped as one segment
    // (images/linode%2Fdebian12), other clients as two; the API answers both.
    .on("GET images/:id", (_req, [id]) => image(id))
    .on("GET images/:vendor/:name", (_req, [vendor, name]) => image(`${vendor}/${name}`))
    .on("GET regions", (req) => paged(req, world.opts.regions.map(regionBody)))
    .on("GET regions/:id", (_req, [id]) => {
      const r = world.opts.regions.find((x) => x.id === id);
      if (!r) throw notFound();
      return regionBody(r);
    })
    // Account-level reads a client may make at configure time (linodego profile.go, account.go).
    .on("GET profile", () => ({
      username: "world",
      email: "world@example.invalid",
      uid: 1,
      restricted: false,
      timezone: "UTC",
      email_notifications: false,
      ip_whitelist_enabled: false,
      lish_auth_method: "keys_only",
      authorized_keys: [],
      two_factor_auth: false,
      referrals: { code: "", url: "", total: 0, completed: 0, pending: 0, credit: 0 },
      authentication_type: "password",
      verified_phone_number: null,
    }))
    .on("GET account", () => ({
      company: "",
      email: "world@example.invalid",
      first_name: "World",
      last_name: "Sandbox",
      address_1: "",
      address_2: "",
      city: "",
      state: "",
      zip: "",
      country: "US",
      phone: "",
      tax_id: "",
      balance: 0,
      balance_uninvoiced: 0,
      active_since: CREATED,
      capabilities: ["Linodes", "Cloud Firewall", "Vlans"],
      credit_card: { last_four: "", expiry: "" },
      active_promotions: [],
      euuid: "00000000-0000-0000-0000-000000000000",
      billing_source: "linode",
    }));
}
