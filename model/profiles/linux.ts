// Linux clients: a NetworkManager-strongswan keyfile (.nmconnection) and a swanctl client
// config (conf.d snippet). Both authenticate the server by its certificate against the
// system's CAs and the user with EAP-MSCHAPv2, with the user name as IKE identity.
import { keyfileValue, swanSecret, swanString } from "../escape";
import { clientEspString, clientIkeString, CLIENT_SUITES } from "../proposals";
import { storablePassword } from "../placeholders";
import { CLIENT_LIFETIMES, swanDuration } from "../rekey";
import { profileUuid } from "./ids";
import { connectionName } from "./settings";

export interface LinuxProfileInput {
  stack: string;
  user: string;
  /** Absent (or an offline placeholder): the file holds no secret (see each renderer). */
  password?: string;
  hostname: string;
  region: string;
}

function keyfile(sections: Array<[string, Array<[string, string]>]>): string {
  return sections.map(([name, entries]) => [`[${name}]`, ...entries.map(([k, v]) => `${k}=${keyfileValue(v)}`)].join("\n")).join("\n\n") + "\n";
}

/** Opens an .nmconnection that holds no password. GLib key files take `#` comment lines. */
const NM_NO_PASSWORD_COMMENT = [
  "# No password in this file (offline render): password-flags=2 makes NetworkManager ask for it",
  "# at every connection (nmcli connection up <name> --ask). The deployed stack's profiles hold it.",
];

/** Install as root: /etc/NetworkManager/system-connections/<file>, mode 0600, then `nmcli connection reload`. */
export function renderNetworkManagerProfile(input: LinuxProfileInput): string {
  const suite = CLIENT_SUITES.strongswan;
  const password = storablePassword(input.password);
  const text = keyfile([
    [
      "connection",
      [
        ["id", connectionName(input.hostname)],
        ["uuid", profileUuid("networkmanager", input.stack, input.user, input.region)],
        ["type", "vpn"],
        ["autoconnect", "false"],
      ],
    ],
    [
      "vpn",
      [
        ["service-type", "org.freedesktop.NetworkManager.strongswan"],
        ["address", input.hostname],
        // No `certificate` key: the plugin then trusts the system CA store.
        ["method", "eap"],
        ["user", input.user],
        ["local-identity", input.user],
        ["remote-identity", input.hostname],
        ["virtual", "yes"],
        ["encap", "yes"],
        ["ipcomp", "no"],
        ["proposal", "yes"],
        ["ike", clientIkeString(suite)],
        ["esp", clientEspString(suite)],
        // No MTU or lifetime keys: the plugin has none (charon-nm rekeys on its own schedule,
        // see model/rekey.ts; the server clamps the TCP MSS).
        // NMSettingSecretFlags (libnm): 0 = the secret lives in this (root-only) file;
        // 2 = NOT_SAVED, asked for at every connection (the plugin's auth dialog, or
        // `nmcli --ask`), used when no password is known.
        ["password-flags", password === undefined ? "2" : "0"],
      ],
    ],
    ...(password === undefined ? [] : [["vpn-secrets", [["password", password]]] as [string, Array<[string, string]>]]),
    // A negative DNS priority makes the tunnel's DNS servers the only ones used while it is up.
    [
      "ipv4",
      [
        ["method", "auto"],
        ["dns-priority", "-50"],
      ],
    ],
    [
      "ipv6",
      [
        ["method", "auto"],
        ["dns-priority", "-50"],
      ],
    ],
  ]);
  return password === undefined ? `${NM_NO_PASSWORD_COMMENT.join("\n")}\n${text}` : text;
}

/** The swanctl connection (and child SA) name for a region. Region ids are [a-z0-9-] by validation. */
export function swanctlConnectionName(region: string): string {
  if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`region id unusable as a swanctl section name: ${region}`);
  return `vpn-${region}`;
}

/**
 * Install as root: /etc/swanctl/conf.d/<file> (mode 0600), the server's root CA in
 * /etc/swanctl/x509ca/ (e.g. a link to /etc/ssl/certs/ISRG_Root_X1.pem), `swanctl --load-all`,
 * then `swanctl --initiate --child vpn-<region>`.
 */
export function renderSwanctlProfile(input: LinuxProfileInput): string {
  const suite = CLIENT_SUITES.strongswan;
  const name = swanctlConnectionName(input.region);
  const password = storablePassword(input.password);
  // swanctl cannot prompt for an EAP password: without one the file gets no secrets block
  // (a placeholder would be sent as the password) and says how to add the real one.
  const secrets =
    password === undefined
      ? [
          "# No password in this file (offline render), so no secrets block: charon cannot ask",
          "# for an EAP password. Add one with the password from the stack (the deployed",
          `# stack's profiles have it): secrets { eap-${name} { id = <user>  secret = <password> } }`,
        ]
      : ["secrets {", `  eap-${name} {`, `    id = ${swanString(input.user)}`, `    secret = ${swanSecret(password)}`, "  }", "}"];
  return [
    "# IKEv2 VPN client (strongSwan swanctl). Generated file: do not edit.",
    "connections {",
    `  ${name} {`,
    "    version = 2",
    `    remote_addrs = ${swanString(input.hostname)}`,
    "    vips = 0.0.0.0, ::",
    `    proposals = ${clientIkeString(suite)}`,
    "    encap = yes",
    "    fragmentation = yes",
    "    mobike = yes",
    "    dpd_delay = 30s",
    // The client rekeys (model/rekey.ts: the server never does); no reauthentication.
    `    rekey_time = ${swanDuration(CLIENT_LIFETIMES.linuxSwanctl.ikeRekeySeconds)}`,
    "    reauth_time = 0s",
    "    local {",
    "      auth = eap-mschapv2",
    // IKE identity = user name, as on Apple and Android (the server matches static users by EAP identity).
    `      id = ${swanString(input.user)}`,
    `      eap_id = ${swanString(input.user)}`,
    "    }",
    "    remote {",
    "      auth = pubkey",
    `      id = ${swanString(input.hostname)}`,
    "    }",
    "    children {",
    `      ${name} {`,
    "        remote_ts = 0.0.0.0/0, ::/0",
    `        esp_proposals = ${clientEspString(suite)}`,
    `        rekey_time = ${swanDuration(CLIENT_LIFETIMES.linuxSwanctl.childRekeySeconds)}`,
    "        dpd_action = restart",
    "      }",
    "    }",
    "  }",
    "}",
    "",
    ...secrets,
    "",
  ].join("\n");
}
