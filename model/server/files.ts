// Every file the server gets, with its absolute path and mode. Secret files
// (EAP secrets, the private key) are 0600 and are handled as Pulumi secrets.
import { template } from "../../templates";
import { cidrContains, mustCidr, parseCidr } from "../net";
import { ipv6Pool, resolverAddresses } from "../addresses";
import type { CertificateMaterial, RegionAddresses, RegionSpec, VpnConfig } from "../types";
import { CHARON_DOS, IKE_RATE_LIMIT, UNUSED_PLUGINS } from "./dos";
import { HARDENING_PATHS, renderSshdDropIn, renderUnattendedUpgrades, renderUpgradeTimer } from "./hardening";
import { pushedDnsServers, renderResolverAddressUnit, renderUnboundConf, RESOLVER_PATHS } from "./resolver";
import { renderSwanctlConf, SERVER_CERT_FILE } from "./swanctl";
import { aaaEnabled, renderAaaFiles, strongswanRadiusSettings } from "./aaa";
import { renderShareFiles, shareLinksEnabled } from "./share";

export interface ServerFile {
  path: string;
  /** Octal mode as text, e.g. "600". */
  mode: string;
  content: string;
  secret: boolean;
}

export const PATHS = {
  swanctlConf: "/etc/swanctl/swanctl.conf",
  serverCert: `/etc/swanctl/x509/${SERVER_CERT_FILE}`,
  chainDir: "/etc/swanctl/x509ca",
  serverKey: "/etc/swanctl/private/server-key.pem",
  strongswanConf: "/etc/strongswan.d/zz-vpn.conf",
  nftablesConf: "/etc/nftables.conf",
  sysctlConf: "/etc/sysctl.d/60-vpn.conf",
  stateDir: "/var/lib/vpn-region",
  /** The user names that may log in (not suspended), one per line: apply ends sessions of anyone else. */
  usersFile: "/var/lib/vpn-region/users",
  ...HARDENING_PATHS,
  ...RESOLVER_PATHS,
} as const;

/** The VM's uplink on Linode images. The apply step also fixes up the actual default-route device. */
const UPLINK = "eth0";

/** kernel-libipsec's TUN device (userspace ESP, on kernels built without ESP). */
const LIBIPSEC_TUN = "ipsec0";

/**
 * Linode's metadata service over IPv6 (its IPv4 address, 169.254.169.254, lies in
 * the link-local range the firewall keeps clients from anyway). Linode Metadata
 * service docs: "fd00:a9fe:a9fe::1".
 */
export const LINODE_METADATA_V6 = "fd00:a9fe:a9fe::1";

/** vpn:sshAllowedCidrs entries inside vpn:poolV4: the only tunnel addresses that may reach SSH. */
function tunnelSshSources(sshAllowedCidrs: string[], poolV4: string): string[] {
  const pool = mustCidr(poolV4);
  return sshAllowedCidrs.filter((c) => {
    const cidr = parseCidr(c);
    return !("error" in cidr) && cidr.family === 4 && cidr.prefix >= pool.prefix && cidrContains(pool, 4, cidr.base);
  });
}

/** TCP MSS that fits ESP-in-UDP (with kernel-libipsec's 1400-byte TUN, the smaller of the two). */
const MSS = { v4: 1360, v6: 1340 };

export interface ServerRenderInput {
  config: VpnConfig;
  region: RegionSpec;
  addresses: RegionAddresses;
  passwords: Record<string, string>;
  certificate: CertificateMaterial;
  /** The region's RADIUS shared secret (secret); needed when the stack uses the user lifecycle (model/server/aaa.ts). */
  radiusSecret?: string;
}

/** Splits a PEM bundle into single certificates (swanctl loads one certificate per file). */
export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? [];
}

export function renderServerFiles(input: ServerRenderInput): ServerFile[] {
  const { config, region, addresses, certificate } = input;
  const poolV6 = ipv6Pool(addresses.ipv6Range);
  const split = (fam: 4 | 6) => config.sshAllowedCidrs.filter((c) => c.includes(":") === (fam === 6));
  const chain = splitPem(certificate.chainPem);
  const resolver = resolverAddresses(config.poolV4, poolV6);
  const radius = aaaEnabled(config);
  if (radius && input.radiusSecret === undefined) throw new Error("the user lifecycle needs the region's RADIUS secret");
  const strongswanConf = template("strongswan.conf.ejs")({
    dos: CHARON_DOS,
    unusedPlugins: radius ? UNUSED_PLUGINS.filter((p) => p !== "eap-radius") : UNUSED_PLUGINS,
    radius: radius ? strongswanRadiusSettings(input.radiusSecret!) : undefined,
  });
  const files: ServerFile[] = [
    {
      path: PATHS.swanctlConf,
      mode: "600",
      secret: true,
      content: renderSwanctlConf({
        hostname: region.hostname,
        users: config.users,
        passwords: input.passwords,
        poolV4: config.poolV4,
        poolV6,
        dnsServers: pushedDnsServers(config.dnsServers, config.poolV4, poolV6),
        compat: config.compat,
        uniqueIds: config.uniqueIds,
        radius,
      }),
    },
    { path: PATHS.serverCert, mode: "644", secret: false, content: ensureNewline(certificate.certPem) },
    ...(chain.length ? chain : [ensureNewline(certificate.chainPem)]).map((pem, i) => ({
      path: `${PATHS.chainDir}/chain-${i + 1}.pem`,
      mode: "644",
      secret: false,
      content: pem,
    })),
    { path: PATHS.serverKey, mode: "600", secret: true, content: ensureNewline(certificate.keyPem) },
    // With the RADIUS secret in it, only root may read it.
    { path: PATHS.strongswanConf, mode: radius ? "600" : "644", secret: radius, content: strongswanConf },
    {
      path: PATHS.nftablesConf,
      mode: "755",
      secret: false,
      content: template("nftables.conf.ejs")({
        sshV4: split(4),
        sshV6: split(6),
        sshTunnelV4: tunnelSshSources(config.sshAllowedCidrs, config.poolV4),
        poolV4: config.poolV4,
        poolV6,
        clientToClient: config.clientToClient,
        resolverV4: resolver.v4,
        resolverV6: resolver.v6,
        metadataV6: LINODE_METADATA_V6,
        mssV4: MSS.v4,
        mssV6: MSS.v6,
        libipsecTun: LIBIPSEC_TUN,
        ikeRate: IKE_RATE_LIMIT,
        shareLinks: shareLinksEnabled(config),
      }),
    },
    { path: PATHS.sysctlConf, mode: "644", secret: false, content: template("sysctl.conf.ejs")({ uplink: UPLINK }) },
    {
      path: PATHS.usersFile,
      mode: "600",
      secret: false,
      content: config.users
        .filter((u) => !u.disabled)
        .map((u) => `${u.name}\n`)
        .join(""),
    },
    { path: PATHS.sshdDropIn, mode: "644", secret: false, content: renderSshdDropIn() },
    { path: PATHS.unattendedUpgrades, mode: "644", secret: false, content: renderUnattendedUpgrades(config.image) },
    { path: PATHS.upgradeTimer, mode: "644", secret: false, content: renderUpgradeTimer(config.maintenanceWindow) },
    { path: PATHS.unboundConf, mode: "644", secret: false, content: renderUnboundConf(config.poolV4, poolV6) },
    { path: PATHS.resolverAddressUnit, mode: "644", secret: false, content: renderResolverAddressUnit(config.poolV4, poolV6) },
    ...(radius ? renderAaaFiles(config, input.passwords, input.radiusSecret!) : []),
    ...renderShareFiles(config, region, ensureNewline(certificate.certPem) + chain.join(""), PATHS.serverKey),
  ];
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function ensureNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}
