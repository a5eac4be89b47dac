// Whether a VM gets user data at its first boot, from the capabilities the Linode
// API reports for its region and image: the decision behind how the host key is
// pinned (components/hostKey.ts). Pure: the program passes in what the API returned;
// components/vpnRegion.ts acts on the answer.

/**
 * The Linode API's name for the Metadata service capability of a region
 * (https://techdocs.akamai.com/linode-api/reference/get-regions, `capabilities`).
 */
const METADATA_CAPABILITY = "Metadata";

/** The Linode API's name for an image that reads Metadata user data with cloud-init (GET /v4/images, `capabilities`). */
const CLOUD_INIT_CAPABILITY = "cloud-init";

export function hasMetadata(capabilities: string[]): boolean {
  return capabilities.includes(METADATA_CAPABILITY);
}

/**
 * Whether a VM of this image in this region gets user data at first boot: the region
 * must offer Metadata and the image must read it with cloud-init (Linode refuses user
 * data otherwise). Else: why not, for the preview warning.
 */
export function firstBootUserData(
  region: string,
  regionCapabilities: string[],
  image: string,
  imageCapabilities: string[],
): { ok: true } | { ok: false; why: string } {
  if (!hasMetadata(regionCapabilities)) return { ok: false, why: `the Linode API reports no ${METADATA_CAPABILITY} capability for region ${region}` };
  if (!imageCapabilities.includes(CLOUD_INIT_CAPABILITY))
    return { ok: false, why: `the Linode API reports no ${CLOUD_INIT_CAPABILITY} capability for image ${image}` };
  return { ok: true };
}
