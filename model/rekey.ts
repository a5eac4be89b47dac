// The one rekey and lifetime policy, next to the proposal table (model/proposals.ts). The
// server's swanctl.conf lifetimes and every client profile's lifetimes and PFS settings are
// derived from it; test/unit/rekey.test.ts checks the relations below, the e2e tier
// (test/e2e/rekey.test.ts) runs them with shortened times.
//
// Why the server never rekeys (sources):
// - strongSwan interop docs, "Windows Clients", section "Rekeying Behavior"
//   (docs.strongswan.org/docs/latest/interop/windowsClients.html): a Windows client behind
//   NAT rejects a CHILD_SA rekey the server initiates (Microsoft notify 12345,
//   ERROR_IPSEC_IKE_INVALID_SITUATION, shown as error 13863); the documented remedy is
//   `children.<child>.rekey_time = 0` on the server so the client rekeys. Windows also rejects
//   a server-initiated IKE rekey whose first KE group is not the one it expects (modp2048 for
//   a stock client, the pinned group for ours): one server cannot order its groups for every
//   platform at once, so the server does not initiate IKE rekeys either.
// - strongSwan 5.9 child_rekey.c/child_create.c: a server-initiated CHILD rekey proposes the
//   first KE group of the ESP proposal (curve25519 here) even to clients whose CHILD_SA was
//   created without one in IKE_AUTH; a client that pinned another PFS group (our Apple and
//   Windows profiles: ECP384) must answer INVALID_KE_PAYLOAD and hope for a retry.
// So the clients rekey, each on its own schedule, and the server only responds.
//
// What the server keeps (strongSwan 5.9 semantics):
// - CHILD_SA: `rekey_time = 0` (no soft lifetime), `life_time` = a hard lifetime longer than
//   every client's own CHILD rekey interval; a client that rekeys gets a fresh CHILD_SA (and
//   a fresh server-side hard lifetime) each time, a client that never rekeys loses that
//   CHILD_SA at `life_time`. strongSwan 5.9 then re-creates it (child_delete.c queues a
//   child_create after a hard expire, unconditionally): the only CREATE_CHILD_SA the server
//   ever starts, and only for a client that broke the policy; strongSwan clients accept it,
//   Windows behind NAT refuses it and reconnects. `rand_time = 0`: without it swanctl derives
//   rand_time = life - rekey, and child_cfg.c's apply_jitter() would subtract it from 0.
// - IKE_SA: `rekey_time = 0` and `reauth_time = 0`. ike_sa.c (set_state) computes the maximum
//   IKE_SA lifetime only as rekey/reauth time + over_time, so with both 0 there is no hard IKE
//   lifetime at all: a silent client is cleared by DPD (dpd_delay, then retransmits); a live
//   client that never rekeys its IKE_SA keeps it, which no server setting can change without
//   the server starting rekeys itself.
//   (reauth_time would cap the IKE_SA as well, but it survives IKE rekeys, so it would cut
//   every client after that time, and strongSwan clients would reauthenticate on the
//   server's AUTH_LIFETIME notify: not what "connected for days" needs.)
import { CLIENT_SUITES } from "./proposals";

/** A duration in seconds, rendered in swanctl.conf syntax ("24h", "30s", "0s"). */
export function swanDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`not a duration in seconds: ${seconds}`);
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export interface ServerLifetimes {
  /** IKE_SA rekey_time / reauth_time: 0 = the server never initiates either. */
  ikeRekeySeconds: 0;
  ikeReauthSeconds: 0;
  /** CHILD_SA rekey_time: 0 = the server never initiates a CHILD rekey. */
  childRekeySeconds: 0;
  /** CHILD_SA life_time: the hard lifetime, the safety net. */
  childLifeSeconds: number;
  /** dpd_delay: how often the server checks an idle peer (dead peers are cleared: dpd_action = clear). */
  dpdDelaySeconds: number;
}

/** How one client platform renews its SAs, and where that is set (or why it cannot be). */
export interface ClientLifetimes {
  platform: string;
  /** IKE_SA rekey interval in seconds (what the profile sets, or the client's built-in value). */
  ikeRekeySeconds: number;
  /** CHILD_SA rekey interval in seconds. */
  childRekeySeconds: number;
  /** true: our profile sets these values; false: built into the client, no profile key exists. */
  setByProfile: boolean;
  /** The PFS group the client uses on CHILD rekeys (strongSwan name), or "none". */
  pfs: string;
  /** Where the numbers come from. */
  source: string;
}

const H = 3600;
const MIN = 60;

export const SERVER_LIFETIMES: ServerLifetimes = {
  ikeRekeySeconds: 0,
  ikeReauthSeconds: 0,
  childRekeySeconds: 0,
  // 24 h: three times the longest CHILD rekey interval below (Apple, 8 h), so a client whose
  // rekey is late or retried still makes it; a client that never rekeys is cut after a day.
  childLifeSeconds: 24 * H,
  dpdDelaySeconds: 30,
};

export const CLIENT_LIFETIMES = {
  /**
   * IKESecurityAssociationParameters / ChildSecurityAssociationParameters LifeTimeInMinutes
   * (apple/device-management mdm/profiles/com.apple.vpn.managed.yaml: 10..1440, default 1440).
   * The IKE lifetime stays below 1440 minutes: macOS drops the tunnel at an IKE rekey at 1440.
   */
  apple: {
    platform: "Apple (iOS, iPadOS, macOS)",
    ikeRekeySeconds: 1380 * MIN,
    childRekeySeconds: 480 * MIN,
    setByProfile: true,
    pfs: CLIENT_SUITES.apple.esp.pfs.swan,
    source: "LifeTimeInMinutes in the .mobileconfig",
  },
  /**
   * Windows has no lifetime setting we can script: Set-VpnConnectionIPsecConfiguration takes
   * only the six transform/group parameters (learn.microsoft.com, VpnClient module). The
   * built-in client rekeys CHILD_SAs about hourly and the IKE_SA after a few hours by itself.
   */
  windows: {
    platform: "Windows 10/11 (built-in client)",
    ikeRekeySeconds: 8 * H,
    childRekeySeconds: 1 * H,
    setByProfile: false,
    pfs: CLIENT_SUITES.windows.esp.pfs.swan,
    source: "built in (no lifetime parameter in Set-VpnConnectionIPsecConfiguration)",
  },
  /**
   * The .sswan format has no lifetime keys (docs.strongswan.org "Android VPN client profiles");
   * the app's charon uses fixed values (android_service.c: IKE rekey 10 h, CHILD rekey 50 min).
   */
  android: {
    platform: "Android (strongSwan app)",
    ikeRekeySeconds: 10 * H,
    childRekeySeconds: 50 * MIN,
    setByProfile: false,
    pfs: CLIENT_SUITES.strongswan.esp.pfs.swan,
    source: "built into the app (android_service.c)",
  },
  /** NetworkManager-strongswan has no lifetime settings; charon-nm (nm_service.c) uses IKE 10 h, CHILD 2 h 50 min. */
  linuxNm: {
    platform: "Linux NetworkManager",
    ikeRekeySeconds: 10 * H,
    childRekeySeconds: 170 * MIN,
    setByProfile: false,
    pfs: CLIENT_SUITES.strongswan.esp.pfs.swan,
    source: "built into charon-nm (nm_service.c)",
  },
  /** Our swanctl client profile sets strongSwan's usual values explicitly. */
  linuxSwanctl: {
    platform: "Linux swanctl",
    ikeRekeySeconds: 4 * H,
    childRekeySeconds: 1 * H,
    setByProfile: true,
    pfs: CLIENT_SUITES.strongswan.esp.pfs.swan,
    source: "rekey_time in the swanctl profile",
  },
} as const satisfies Record<string, ClientLifetimes>;

/** Apple's LifeTimeInMinutes values (whole minutes, checked against the schema's range). */
export function appleLifetimeMinutes(): { ike: number; child: number } {
  const a = CLIENT_LIFETIMES.apple;
  return { ike: a.ikeRekeySeconds / MIN, child: a.childRekeySeconds / MIN };
}

/** The server's lifetime lines for swanctl.conf, by section. */
export function serverLifetimeSettings(p: ServerLifetimes = SERVER_LIFETIMES): { ike: Array<[string, string]>; child: Array<[string, string]> } {
  return {
    ike: [
      ["dpd_delay", swanDuration(p.dpdDelaySeconds)],
      ["reauth_time", swanDuration(p.ikeReauthSeconds)],
      ["rekey_time", swanDuration(p.ikeRekeySeconds)],
    ],
    child: [
      ["rekey_time", swanDuration(p.childRekeySeconds)],
      ["life_time", swanDuration(p.childLifeSeconds)],
      ["rand_time", "0s"],
    ],
  };
}
