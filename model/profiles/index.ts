// Client profiles for every platform, derived from the proposal table (model/proposals.ts)
// like the server's own proposals. Pure: same inputs, byte-identical outputs.
import { windowsNameProblem } from "../fileNames";
import type { VpnConfig } from "../types";
import { renderAndroidProfile } from "./android";
import { renderAppleProfile } from "./apple";
import { renderNetworkManagerProfile, renderSwanctlProfile } from "./linux";
import { signAppleProfile, SigningMaterial } from "./sign";
import { renderWindowsScript } from "./windows";

export interface ProfileSet {
  /**
   * The user's Apple profile. It holds one VPN payload per region, so it is the same
   * multi-region profile under every region key of that user.
   */
  apple: string;
  /** `apple` signed (CMS SignedData, DER, base64) with this region's certificate; absent without one. */
  appleSigned?: string;
  windows: string;
  android: string;
  linuxNm: string;
  linuxSwanctl: string;
}

export interface ProfilesInput {
  /** Pulumi stack name (UUID derivation). */
  stack: string;
  config: VpnConfig;
  /** Every user's password. */
  passwords: Record<string, string>;
  /** Per region: when present, appleSigned is emitted. */
  certificates?: Record<string, SigningMaterial>;
}

export type Profiles = Record<string /* user */, Record<string /* region */, ProfileSet>>;

export function renderProfiles(input: ProfilesInput): Profiles {
  const { config, stack } = input;
  const out: Profiles = {};
  for (const user of config.users) {
    const password = input.passwords[user.name];
    if (password === undefined) throw new Error(`no password for user ${user.name}`);
    const apple = renderAppleProfile({
      stack,
      zone: config.zone,
      user: user.name,
      password,
      regions: config.regions,
      onDemand: config.onDemand,
      trustedSsids: config.trustedSsids,
      killSwitch: config.appleKillSwitch,
    });
    const byRegion: Record<string, ProfileSet> = {};
    for (const r of config.regions) {
      const common = { stack, user: user.name, hostname: r.hostname, region: r.region };
      const material = input.certificates?.[r.region];
      const signed = material ? signAppleProfile(apple, material) : undefined;
      byRegion[r.region] = {
        apple,
        ...(signed ? { appleSigned: signed.toString("base64") } : {}),
        windows: renderWindowsScript({ user: user.name, password, hostname: r.hostname }),
        android: renderAndroidProfile({ ...common, password }),
        linuxNm: renderNetworkManagerProfile({ ...common, password }),
        linuxSwanctl: renderSwanctlProfile({ ...common, password }),
      };
    }
    out[user.name] = byRegion;
  }
  return out;
}

/** File name -> content for one user's profiles in one region (Buffer for the binary signed profile). */
export function profileFiles(user: string, region: string, set: ProfileSet): Record<string, string | Buffer> {
  void region; // Region-specific content is already in `set`; files of a region share one directory.
  const files: Record<string, string | Buffer> = {
    [`${user}.mobileconfig`]: set.apple,
    [`${user}.ps1`]: set.windows,
    [`${user}.sswan`]: set.android,
    [`${user}.nmconnection`]: set.linuxNm,
    [`${user}.swanctl.conf`]: set.linuxSwanctl,
  };
  if (set.appleSigned) files[`${user}-signed.mobileconfig`] = Buffer.from(set.appleSigned, "base64");
  return files;
}

/** Names that become path segments: validated user names and region ids only (no separators, no leading dot). */
const PATH_SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Relative path -> content for every profile: `<region>/profiles/<user>/<file>` (the layout of `npm run render` and `npm run profiles`). */
export function profileTree(profiles: Profiles): Record<string, string | Buffer> {
  const tree: Record<string, string | Buffer> = {};
  for (const [user, byRegion] of Object.entries(profiles)) {
    if (!PATH_SEGMENT_RE.test(user)) throw new Error(`user name unusable in a file path: ${JSON.stringify(user)}`);
    // A stack deployed before the config refused such names still has them in its outputs.
    const windows = windowsNameProblem(user);
    if (windows) throw new Error(`user name unusable in a file path: ${JSON.stringify(user)} ${windows}`);
    for (const [region, set] of Object.entries(byRegion)) {
      if (!PATH_SEGMENT_RE.test(region)) throw new Error(`region unusable in a file path: ${JSON.stringify(region)}`);
      for (const [file, content] of Object.entries(profileFiles(user, region, set))) tree[`${region}/profiles/${user}/${file}`] = content;
    }
  }
  return tree;
}

export type { SigningMaterial } from "./sign";
