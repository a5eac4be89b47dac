// The program behind index.ts: read and validate config (before any resource is
// registered; a bad value throws here), check the regions against the Linode API,
// then create every region. Resolves to the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { getImage, getRegions } from "@pulumi/linode";
import { rawStackConfig, readStackConfig } from "./config/read";
import { checkRegionsOffered, imageNotOffered, regionKeys } from "./config/regions";
import { ConfigError } from "./config/validate";
import { linodeApiBase, ServerCertificate } from "./components/certificate";
import { createVpn } from "./components/vpnStack";
import { expiryWarnings } from "./model/expiryWarnings";

export function program() {
  const config = readStackConfig();
  // At every preview and update: an expiry coming within two weeks, or an entry left behind after it.
  for (const line of expiryWarnings(config.users, new Date())) void pulumi.log.warn(line);
  const keys = regionKeys(config, rawStackConfig()["vpn:regions"]);
  // The regions the provider reports (GET /v4/regions; runs in preview too). An unknown
  // region fails here, naming its key, before any resource is registered. The image's
  // capabilities say whether it reads first-boot user data (components/hostKey.ts).
  const image = getImage({ id: config.image }).catch((e: unknown) => {
    throw imageNotOffered(config.image, e) ?? e;
  });
  return Promise.all([getRegions({}), image])
    .then(([offered, image]) => createOutputs(config, checkRegionsOffered(config, keys, offered.regions ?? []), image.capabilities ?? []))
    .catch((e: unknown) => {
      // As for any config error (config/read.ts): the message alone, no stack trace.
      throw e instanceof ConfigError ? new pulumi.RunError(e.message) : e;
    });
}

function createOutputs(config: ReturnType<typeof readStackConfig>, regionCapabilities: Record<string, string[]>, imageCapabilities: string[]) {
  const linode = new pulumi.Config("linode");
  const linodeToken = linode.getSecret("token") ?? (process.env.LINODE_TOKEN ? pulumi.secret(process.env.LINODE_TOKEN) : undefined);
  // The provider itself reads linode:url or LINODE_URL; so do the program's own API calls.
  const linodeUrl = linode.get("url") ?? process.env.LINODE_URL;
  const vpn = createVpn(config, {
    regionCapabilities,
    imageCapabilities,
    ...(linodeToken ? { linodeApi: { token: linodeToken, url: linodeApiBase(linodeUrl) } } : {}),
    stack: pulumi.getStack(),
    certificateFor: (region, parent, dependsOn) =>
      new ServerCertificate(
        `${region.region}-cert`,
        {
          hostname: region.hostname,
          zone: config.zone,
          acme: config.acme,
          linodeToken,
          linodeApiUrl: linodeUrl,
          ...(config.acme.dnsResolvers?.length ? { propagation: { resolvers: config.acme.dnsResolvers } } : {}),
          orderAfter: dependsOn,
        },
        { parent },
      ),
  });
  return {
    /** Per region: hostname, addresses, routed /64, certificate expiry. */
    regions: vpn.summary,
    /** Per region: when the certificate expires (the daily workflow renews it in time). */
    certificateNotAfter: vpn.summary.apply((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.certificateNotAfter]))),
    /** user -> password. Secret. */
    passwords: vpn.passwords,
    /** user -> region -> profile texts. Secret (they hold passwords). */
    profiles: vpn.profiles,
    /** region -> { hostname, host, user, privateKey, hostKey }: pinned SSH access to each server. Secret. */
    servers: vpn.servers,
  };
}
