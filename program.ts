// The program behind index.ts: read and validate config (before any resource is
// registered), then create every region. Returns the stack outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/read";
import { ServerCertificate } from "./components/certificate";
import { createVpn } from "./components/vpnStack";

export function program() {
  const config = readStackConfig();
  const linode = new pulumi.Config("linode");
  const linodeToken = linode.getSecret("token") ?? (process.env.LINODE_TOKEN ? pulumi.secret(process.env.LINODE_TOKEN) : undefined);
  const vpn = createVpn(config, {
    stack: pulumi.getStack(),
    certificateFor: (region, parent) =>
      new ServerCertificate(
        `${region.region}-cert`,
        { hostname: region.hostname, zone: config.zone, acme: config.acme, linodeToken, linodeApiUrl: linode.get("url") },
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
  };
}
