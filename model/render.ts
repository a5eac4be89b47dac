// Validated config (+ deploy-time values) -> everything a region's server gets.
// The offline `npm run render` and the tests call this; the Pulumi component
// (components/vpnRegion.ts) calls the same renderServerFiles and stepScripts once
// the VM's addresses and the certificate are known.
import { placeholderAddresses } from "./addresses";
import { renderServerFiles, ServerFile } from "./server/files";
import { RemoteStep, renderSteps } from "./steps";
import { aaaEnabled } from "./server/aaa";
import { shareLinksEnabled } from "./server/share";
import type { CertificateMaterial, RegionAddresses, RegionSpec, VpnConfig } from "./types";

export interface RegionRenderInput {
  config: VpnConfig;
  region: RegionSpec;
  /** Deploy-time addresses; documentation addresses stand in when absent. */
  addresses?: RegionAddresses;
  /** Password of every user (configured or generated). */
  passwords: Record<string, string>;
  /** The region's certificate; a placeholder stands in when absent. */
  certificate?: CertificateMaterial;
  /** The region's RADIUS secret (secret), when the stack uses the user lifecycle. */
  radiusSecret?: string;
}

export interface RegionRender {
  region: string;
  addresses: RegionAddresses;
  files: ServerFile[];
  steps: RemoteStep[];
}

const PLACEHOLDER_CERTIFICATE: CertificateMaterial = {
  certPem: "# placeholder: the ACME certificate is issued at deploy time\n",
  chainPem: "# placeholder: the ACME chain is issued at deploy time\n",
  keyPem: "# placeholder: the certificate key is generated at deploy time\n",
};

function regionIndex(config: VpnConfig, region: RegionSpec): number {
  return config.regions.findIndex((r) => r.region === region.region);
}

export function renderRegion(input: RegionRenderInput): RegionRender {
  const addresses = input.addresses ?? placeholderAddresses(regionIndex(input.config, input.region));
  const files = renderServerFiles({
    config: input.config,
    region: input.region,
    addresses,
    passwords: input.passwords,
    certificate: input.certificate ?? PLACEHOLDER_CERTIFICATE,
    radiusSecret: input.radiusSecret,
  });
  return {
    region: input.region.region,
    addresses,
    files,
    steps: renderSteps(files, { aaa: aaaEnabled(input.config), shareLinks: shareLinksEnabled(input.config) }),
  };
}
