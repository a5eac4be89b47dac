// strongSwan VPN client for Android: a .sswan profile (JSON, MIME application/vnd.strongswan.profile).
// Import format: strongSwan's VpnProfileImportActivity. There is no password field: the app
// asks once and remembers it. For type ikev2-eap the app ignores local.id and uses the EAP
// identity (the user name) as IKE identity, like our other profiles.
import { clientEspString, clientIkeString, CLIENT_SUITES } from "../proposals";
import { profileUuid } from "./ids";
import { connectionName, NAT_KEEPALIVE_SECONDS, TUNNEL_MTU } from "./settings";

export interface AndroidProfileInput {
  stack: string;
  user: string;
  hostname: string;
  region: string;
  dnsServers: string[];
}

export function androidProfileObject(input: AndroidProfileInput): Record<string, unknown> {
  return {
    // Stable per stack/region/user: re-importing replaces the profile instead of adding a copy.
    uuid: profileUuid("android", input.stack, input.user, input.region),
    name: connectionName(input.hostname),
    type: "ikev2-eap",
    remote: { addr: input.hostname, id: input.hostname },
    local: { eap_id: input.user },
    "ike-proposal": clientIkeString(CLIENT_SUITES.strongswan),
    "esp-proposal": clientEspString(CLIENT_SUITES.strongswan),
    "dns-servers": [...input.dnsServers],
    mtu: TUNNEL_MTU,
    "nat-keepalive": NAT_KEEPALIVE_SECONDS,
  };
}

export function renderAndroidProfile(input: AndroidProfileInput): string {
  return `${JSON.stringify(androidProfileObject(input), null, 2)}\n`;
}
