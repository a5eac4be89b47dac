// Every key our .mobileconfig emits, checked against Apple's published schema. The facts below
// are copied (key names, types, allowed values) from apple/device-management,
// mdm/profiles/com.apple.vpn.managed.yaml (commit 0a4527c5ea21825fd23e08273ccdb9e2302458ce),
// payloadkeys -> IKEv2 and its SecurityAssociationParameters / OnDemandRulesElement subkeys,
// only for keys we emit or considered emitting. The Payload* keys are the common payload keys
// every payload carries (mdm/common/payloadkeys.yaml), not part of that file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { GENERATED_PLACEHOLDER } from "../../model/placeholders";
import type { OnDemand } from "../../model/types";
import { PASSWORDS, parsePlist, STACK, testConfig } from "./profiles-fixtures";

type SchemaType = "string" | "integer" | "boolean" | "array" | "dictionary";
interface KeySpec {
  type: SchemaType;
  /** `rangelist` in the YAML. */
  values?: ReadonlyArray<string | number>;
  /** `range` in the YAML. */
  range?: { min: number; max: number };
  /** Subkeys of a dictionary, or of each element of an array of dictionaries. */
  sub?: Record<string, KeySpec>;
  /** Element type of an array of scalars. */
  items?: SchemaType;
  /** What the schema says beyond the type (kept as evidence for the checks below). */
  note?: string;
}

const BIT: KeySpec = { type: "integer", values: [0, 1] };

const SECURITY_ASSOCIATION: Record<string, KeySpec> = {
  EncryptionAlgorithm: { type: "string", values: ["DES", "3DES", "AES-128", "AES-256", "AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"] },
  IntegrityAlgorithm: { type: "string", values: ["SHA1-96", "SHA1-160", "SHA2-256", "SHA2-384", "SHA2-512"] },
  DiffieHellmanGroup: { type: "integer", values: [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32] },
  LifeTimeInMinutes: { type: "integer", range: { min: 10, max: 1440 }, note: "The SA lifetime (rekey interval) in minutes; default 1440" },
};

const ON_DEMAND_RULE: Record<string, KeySpec> = {
  Action: { type: "string", values: ["Allow", "Connect", "Disconnect", "EvaluateConnection", "Ignore"] },
  InterfaceTypeMatch: { type: "string", values: ["Ethernet", "WiFi", "Cellular"] },
  SSIDMatch: { type: "array", items: "string" },
  URLStringProbe: { type: "string" },
  DNSDomainMatch: { type: "array", items: "string" },
};

const IKEV2: Record<string, KeySpec> = {
  RemoteAddress: { type: "string" },
  LocalIdentifier: { type: "string" },
  RemoteIdentifier: { type: "string" },
  AuthenticationMethod: { type: "string", values: ["None", "SharedSecret", "Certificate"] },
  ExtendedAuthEnabled: BIT,
  AuthName: { type: "string" },
  AuthPassword: { type: "string" },
  OnDemandEnabled: BIT,
  OnDemandUserOverrideDisabled: BIT,
  OnDemandRules: { type: "array", sub: ON_DEMAND_RULE },
  DeadPeerDetectionRate: { type: "string", values: ["None", "Low", "Medium", "High"] },
  DisableMOBIKE: BIT,
  DisableRedirect: BIT,
  // Documented "for Always On VPN IKEv2 connections": we do not emit them (VPNType IKEv2).
  NATKeepAliveOffloadEnable: { ...BIT, note: "Always On VPN IKEv2 connections" },
  NATKeepAliveInterval: { type: "integer", note: "Always On VPN IKEv2 connections; minimum 20" },
  EnablePFS: BIT,
  EnableCertificateRevocationCheck: BIT,
  MTU: { type: "integer", range: { min: 1280, max: 1400 } },
  IncludeAllNetworks: BIT,
  ExcludeLocalNetworks: BIT,
  ExcludeCellularServices: BIT,
  ExcludeAPNs: BIT,
  ExcludeDeviceCommunication: BIT,
  IKESecurityAssociationParameters: { type: "dictionary", sub: SECURITY_ASSOCIATION },
  ChildSecurityAssociationParameters: { type: "dictionary", sub: SECURITY_ASSOCIATION },
};

const VPN_PAYLOAD: Record<string, KeySpec> = {
  PayloadType: { type: "string", values: ["com.apple.vpn.managed"] },
  PayloadVersion: { type: "integer", values: [1] },
  PayloadIdentifier: { type: "string" },
  PayloadUUID: { type: "string" },
  PayloadDisplayName: { type: "string" },
  UserDefinedName: { type: "string" },
  VPNType: { type: "string", values: ["VPN", "L2TP", "IPSec", "IKEv2", "AlwaysOn", "TransparentProxy"] },
  IKEv2: { type: "dictionary", sub: IKEV2 },
};

/** Keys that must not appear in our IKEv2 payload (documented for another VPN type only). */
const NOT_FOR_IKEV2_TYPE = ["NATKeepAliveOffloadEnable", "NATKeepAliveInterval"];

function typeOf(v: unknown): SchemaType | "other" {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "other";
  if (Array.isArray(v)) return "array";
  if (v && typeof v === "object") return "dictionary";
  return "other";
}

/** Every schema violation in `dict` against `schema`, with the key path. */
function violations(dict: Record<string, unknown>, schema: Record<string, KeySpec>, path: string): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(dict)) {
    const at = `${path}.${key}`;
    const spec = schema[key];
    if (!spec) {
      out.push(`${at}: not a key of the schema`);
      continue;
    }
    const t = typeOf(value);
    if (t !== spec.type) {
      out.push(`${at}: ${t}, the schema says ${spec.type}`);
      continue;
    }
    if (spec.values && !spec.values.includes(value as string | number)) out.push(`${at}: ${JSON.stringify(value)} is not one of ${spec.values.join(", ")}`);
    if (spec.range && ((value as number) < spec.range.min || (value as number) > spec.range.max))
      out.push(`${at}: ${value} is outside ${spec.range.min}..${spec.range.max}`);
    if (spec.type === "dictionary" && spec.sub) out.push(...violations(value as Record<string, unknown>, spec.sub, at));
    if (spec.type === "array") {
      (value as unknown[]).forEach((el, i) => {
        if (spec.sub) {
          if (typeOf(el) !== "dictionary") out.push(`${at}[${i}]: not a dictionary`);
          else out.push(...violations(el as Record<string, unknown>, spec.sub, `${at}[${i}]`));
        } else if (spec.items && typeOf(el) !== spec.items) out.push(`${at}[${i}]: ${typeOf(el)}, the schema says ${spec.items}`);
      });
    }
  }
  return out;
}

function vpnPayloads(onDemand: OnDemand, appleKillSwitch: boolean): Array<Record<string, unknown>> {
  const config = testConfig({ onDemand, trustedSsids: onDemand === "untrusted-wifi" ? ["Home Wi-Fi"] : [], appleKillSwitch });
  const xml = renderProfiles({ stack: STACK, config, passwords: PASSWORDS }).alice["us-ord"].apple;
  return parsePlist(xml).PayloadContent;
}

describe("Apple .mobileconfig against Apple's published schema (com.apple.vpn.managed)", () => {
  for (const onDemand of ["off", "always", "untrusted-wifi"] as const) {
    for (const killSwitch of [false, true]) {
      it(`every key we emit exists with its type and allowed values (onDemand ${onDemand}, kill switch ${killSwitch ? "on" : "off"})`, () => {
        const payloads = vpnPayloads(onDemand, killSwitch);
        assert.equal(payloads.length, 2);
        for (const p of payloads) {
          assert.deepEqual(violations(p, VPN_PAYLOAD, "VPN"), []);
          const ikev2 = p.IKEv2 as Record<string, unknown>;
          for (const key of NOT_FOR_IKEV2_TYPE) assert.equal(ikev2[key], undefined, `${key} applies to Always On VPN only`);
          // The schema's required IKEv2 keys.
          for (const key of ["RemoteAddress", "LocalIdentifier", "RemoteIdentifier", "AuthenticationMethod"]) assert.ok(key in ikev2, key);
        }
      });
    }
  }

  it("the offline profile (no AuthPassword, so the device asks) passes the same check", () => {
    const xml = renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: GENERATED_PLACEHOLDER } }).alice["us-ord"].apple;
    for (const p of parsePlist(xml).PayloadContent) {
      assert.deepEqual(violations(p, VPN_PAYLOAD, "VPN"), []);
      assert.equal((p.IKEv2 as Record<string, unknown>).AuthPassword, undefined);
    }
  });

  it("the check itself catches an unknown key, a wrong type and a value outside the range (it can fail)", () => {
    const bad = { VPNType: "IKEv2", IKEv2: { MTU: 1500, DisableMOBIKE: true, Bogus: 1, IKESecurityAssociationParameters: { DiffieHellmanGroup: 3 } } };
    assert.deepEqual(violations(bad, VPN_PAYLOAD, "VPN"), [
      "VPN.IKEv2.MTU: 1500 is outside 1280..1400",
      "VPN.IKEv2.DisableMOBIKE: boolean, the schema says integer",
      "VPN.IKEv2.Bogus: not a key of the schema",
      "VPN.IKEv2.IKESecurityAssociationParameters.DiffieHellmanGroup: 3 is not one of 1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32",
    ]);
  });
});
