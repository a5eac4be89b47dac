// Apple .mobileconfig (iOS, iPadOS, macOS): one configuration profile per user holding
// one IKEv2 VPN payload (com.apple.vpn.managed) per region. Built as a plist object and
// serialised by the plist library; key order is fixed, so the XML is byte-stable.
import { Algo, CLIENT_SUITES, ClientSuite } from "../proposals";
import { appleLifetimeMinutes } from "../rekey";
import type { OnDemand, RegionSpec } from "../types";
import { storablePassword } from "../placeholders";
import { appleIdentifierPrefix, profileUuid } from "./ids";
import { plist, PlistValue } from "./plist";
import { CAPTIVE_PROBE_URL, connectionName, TUNNEL_MTU } from "./settings";

export interface AppleProfileInput {
  stack: string;
  zone: string;
  user: string;
  /** Absent (or an offline placeholder): no AuthPassword, the device asks at connect time. */
  password?: string;
  regions: RegionSpec[];
  onDemand: OnDemand;
  trustedSsids: string[];
  /** vpn:appleKillSwitch: route everything through the tunnel, also while it is down (IncludeAllNetworks). */
  killSwitch: boolean;
}

type Dict = { [key: string]: PlistValue };

function appleName(a: Algo | undefined, what: string): string | number {
  if (a?.apple === undefined) throw new Error(`the proposal table has no Apple name for ${a?.swan ?? what}`);
  return a.apple;
}

/**
 * IKE and Child SA parameters: exactly the Apple client suite of the proposal table, with the
 * lifetimes of the rekey policy (model/rekey.ts). The device rekeys both SAs itself; the
 * server never initiates a rekey, so the PFS group below is the only one ever proposed.
 */
function securityAssociations(): Dict {
  const s: ClientSuite = CLIENT_SUITES.apple;
  const life = appleLifetimeMinutes();
  // macOS drops the tunnel at rekey when the IKE lifetime reaches 1440 minutes.
  if (life.ike >= 1440 || life.child >= life.ike) throw new Error("Apple lifetimes must satisfy child < IKE < 1440 minutes");
  const ike: Dict = {
    EncryptionAlgorithm: appleName(s.ike.encr, "IKE encryption"),
    // With an AEAD cipher Apple uses IntegrityAlgorithm as the PRF, so the suite carries
    // the integrity algorithm whose hash is its PRF's.
    IntegrityAlgorithm: appleName(s.ike.integ, "IKE integrity/PRF"),
    DiffieHellmanGroup: appleName(s.ike.dh, "IKE DH group"),
    LifeTimeInMinutes: life.ike,
  };
  const child: Dict = {
    EncryptionAlgorithm: appleName(s.esp.encr, "ESP encryption"),
    ...(s.esp.integ ? { IntegrityAlgorithm: appleName(s.esp.integ, "ESP integrity") } : {}),
    // The PFS group on rekey (EnablePFS); without PFS Apple ignores it.
    DiffieHellmanGroup: s.esp.pfs ? appleName(s.esp.pfs, "PFS group") : ike.DiffieHellmanGroup,
    LifeTimeInMinutes: life.child,
  };
  return { IKESecurityAssociationParameters: ike, ChildSecurityAssociationParameters: child, EnablePFS: s.esp.pfs ? 1 : 0 };
}

/**
 * On-Demand presets. Every Connect rule requires the captive-portal probe, so a hotel or
 * airport login page still loads; the last rule is Ignore (never Disconnect, never forced),
 * and OnDemandUserOverrideDisabled stays 0 so the user can always switch On-Demand off.
 */
function onDemandKeys(mode: OnDemand, trustedSsids: string[]): Dict {
  if (mode === "off") return { OnDemandEnabled: 0 };
  const rules: Dict[] = [];
  if (mode === "untrusted-wifi") {
    if (trustedSsids.length > 0) rules.push({ InterfaceTypeMatch: "WiFi", SSIDMatch: [...trustedSsids], Action: "Disconnect" });
    rules.push({ InterfaceTypeMatch: "WiFi", URLStringProbe: CAPTIVE_PROBE_URL, Action: "Connect" });
  } else {
    rules.push({ URLStringProbe: CAPTIVE_PROBE_URL, Action: "Connect" });
  }
  rules.push({ Action: "Ignore" });
  return { OnDemandEnabled: 1, OnDemandUserOverrideDisabled: 0, OnDemandRules: rules };
}

/**
 * vpn:appleKillSwitch. IncludeAllNetworks = 1 sends all traffic through the tunnel and blocks
 * it while the tunnel is down; its documented companions (com.apple.vpn.managed.yaml, IKEv2
 * dictionary) keep what must stay outside: the local network (printers, AirPlay; macOS
 * defaults to 0), cellular services (calls, MMS), Apple push and USB/Wi-Fi device
 * communication. The Exclude* keys are written explicitly so every OS version reads the same.
 * Off (the default): none of these keys, the device's usual VPN routing.
 */
function killSwitchKeys(on: boolean): Dict {
  if (!on) return {};
  return { IncludeAllNetworks: 1, ExcludeLocalNetworks: 1, ExcludeCellularServices: 1, ExcludeAPNs: 1, ExcludeDeviceCommunication: 1 };
}

function vpnPayload(input: AppleProfileInput, region: RegionSpec, prefix: string): Dict {
  const name = connectionName(region.hostname);
  const password = storablePassword(input.password);
  return {
    PayloadType: "com.apple.vpn.managed",
    PayloadVersion: 1,
    PayloadIdentifier: `${prefix}.${input.user}.${region.region}`,
    PayloadUUID: profileUuid("apple-vpn", input.stack, input.user, region.region),
    PayloadDisplayName: `VPN ${name}`,
    UserDefinedName: name,
    VPNType: "IKEv2",
    IKEv2: {
      RemoteAddress: region.hostname,
      RemoteIdentifier: region.hostname,
      // IKE identity = user name (the server logs it; static addresses follow the EAP identity).
      LocalIdentifier: input.user,
      AuthenticationMethod: "None",
      ExtendedAuthEnabled: 1,
      AuthName: input.user,
      // Without AuthPassword, an EAP (ExtendedAuthEnabled) payload with AuthenticationMethod
      // None makes the device ask for the password when the VPN connects (Apple's
      // com.apple.vpn.managed schema: AuthPassword is optional).
      ...(password === undefined ? {} : { AuthPassword: password }),
      ...securityAssociations(),
      DeadPeerDetectionRate: "Medium",
      DisableMOBIKE: 0,
      DisableRedirect: 0,
      EnableCertificateRevocationCheck: 0,
      // No NATKeepAliveOffloadEnable/NATKeepAliveInterval: Apple's schema documents both for
      // Always On VPN (VPNType AlwaysOn) IKEv2 connections only; this payload is VPNType IKEv2.
      MTU: TUNNEL_MTU,
      ...onDemandKeys(input.onDemand, input.trustedSsids),
      ...killSwitchKeys(input.killSwitch),
    },
  };
}

/** The profile as a plist object (exported for tests and for signing). */
function appleProfileObject(input: AppleProfileInput): Dict {
  if (input.regions.length === 0) throw new Error("an Apple profile needs at least one region");
  const prefix = appleIdentifierPrefix(input.zone, input.stack);
  const hosts = input.regions.map((r) => r.hostname).join(", ");
  return {
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: `${prefix}.${input.user}`,
    PayloadUUID: profileUuid("apple-profile", input.stack, input.user),
    PayloadDisplayName: `VPN ${input.zone} (${input.user})`,
    PayloadDescription: `IKEv2 VPN for ${input.user}: ${hosts}`,
    PayloadOrganization: input.zone,
    PayloadRemovalDisallowed: false,
    PayloadContent: input.regions.map((r) => vpnPayload(input, r, prefix)),
  };
}

/**
 * Said inside the profile when it holds no password. Fixed text (no value from the config,
 * so nothing to escape), and no "--", which XML forbids inside a comment.
 */
const APPLE_NO_PASSWORD_COMMENT =
  "<!-- No password in this profile (offline render): the device asks for it when the VPN connects. The profiles of the deployed stack (npm run profiles) carry it. -->";

export function renderAppleProfile(input: AppleProfileInput): string {
  const xml = plist.build(appleProfileObject(input));
  if (storablePassword(input.password) !== undefined) return xml;
  // First inside the top-level <dict>, where profile tools and Apple's parser take comments.
  const open = '<plist version="1.0">\n  <dict>\n';
  const at = xml.indexOf(open);
  if (at < 0) throw new Error("unexpected plist layout: cannot place the no-password comment");
  return `${xml.slice(0, at + open.length)}    ${APPLE_NO_PASSWORD_COMMENT}\n${xml.slice(at + open.length)}`;
}
