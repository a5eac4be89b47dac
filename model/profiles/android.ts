// strongSwan VPN client for Android: a .sswan profile (JSON, MIME application/vnd.strongswan.profile).
// Format: docs.strongswan.org, "Android VPN client profiles" (VpnProfileImportActivity in the app).
// For type ikev2-eap the app ignores local.id and uses the EAP identity (the user name) as IKE
// identity, like our other profiles. The file holds the password (local.shared_secret), so it is a
// secret like the other profiles.
//
// What is deliberately absent:
// - dns-servers: the server pushes vpn:dnsServers in IKE_AUTH (the pool's `dns`), and the app uses
//   the pushed servers; a copy in the profile would only go stale when vpn:dnsServers changes
//   (re-importing every phone), so the profile does not override the server.
// - lifetimes: the format has no lifetime keys; the app rekeys on its own fixed schedule (see
//   CLIENT_LIFETIMES.android in model/rekey.ts), and the server never initiates a rekey.
import { clientEspString, clientIkeString, CLIENT_SUITES } from "../proposals";
import { profileUuid } from "./ids";
import { connectionName, NAT_KEEPALIVE_SECONDS, TUNNEL_MTU } from "./settings";
import { storablePassword } from "../placeholders";

export interface AndroidProfileInput {
  stack: string;
  user: string;
  /** Absent (or an offline placeholder): no shared_secret, the app asks at import. */
  password?: string;
  hostname: string;
  region: string;
}

function androidProfileObject(input: AndroidProfileInput): Record<string, unknown> {
  const password = storablePassword(input.password);
  return {
    // Stable per stack/region/user: re-importing replaces the profile instead of adding a copy.
    uuid: profileUuid("android", input.stack, input.user, input.region),
    name: connectionName(input.hostname),
    type: "ikev2-eap",
    remote: { addr: input.hostname, id: input.hostname },
    // shared_secret: the EAP password, read by app 2.5.3 and later (older apps ignore it and ask
    // once at import), so nothing has to be typed on the phone. Without a known password
    // (offline render) it is left out: the app would store a placeholder silently instead of
    // asking. JSON has no comments, so the file cannot say so itself.
    local: { eap_id: input.user, ...(password === undefined ? {} : { shared_secret: password }) },
    "ike-proposal": clientIkeString(CLIENT_SUITES.strongswan),
    "esp-proposal": clientEspString(CLIENT_SUITES.strongswan),
    mtu: TUNNEL_MTU,
    "nat-keepalive": NAT_KEEPALIVE_SECONDS,
    // Block IPv4 and IPv6 traffic that is not routed into the tunnel, so nothing leaks around it
    // (e.g. IPv6 on a network where the server assigned no address of that family).
    "split-tunneling": { "block-ipv4": true, "block-ipv6": true },
  };
}

export function renderAndroidProfile(input: AndroidProfileInput): string {
  return `${JSON.stringify(androidProfileObject(input), null, 2)}\n`;
}
