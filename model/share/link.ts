// One-time profile links, the client's side (npm run share): what a link holds,
// the page a device sees, the bundle `vpn-share add` reads on stdin, and the
// parsing of `vpn-share list`. Pure: the token's random bytes come from the caller.
// The server's side (nginx, the njs handler, vpn-share) is model/server/share.ts.
import { escapeXML } from "ejs";
import { template } from "../../templates";
import { utcMinute } from "../expiryWarnings";
import { profileFiles, ProfileSet } from "../profiles";
import { TOKEN_BYTES, TOKEN_PATTERN, TOKEN_PREFIX_LENGTH } from "../server/share";

export const DEFAULT_TTL_SECONDS = 24 * 3600;
const MAX_TTL_SECONDS = 7 * 24 * 3600;
const MIN_TTL_SECONDS = 60;

const TOKEN_RE = new RegExp(`^${TOKEN_PATTERN}$`);

/** The token for `bytes` (TOKEN_BYTES random bytes): base64url, no padding. */
export function tokenFromBytes(bytes: Buffer): string {
  if (bytes.length !== TOKEN_BYTES) throw new Error(`a token takes ${TOKEN_BYTES} random bytes, got ${bytes.length}`);
  const token = bytes.toString("base64url");
  if (!TOKEN_RE.test(token)) throw new Error("token encoding broke its pattern");
  return token;
}

export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** What `--list` and every message show of a token. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX_LENGTH);
}

/** "90s", "30m", "1h", "7d" -> seconds; an error line naming --ttl otherwise. */
export function parseTtl(text: string): number | { error: string } {
  const m = /^([1-9][0-9]{0,6})([smhd])$/.exec(text);
  if (!m) return { error: `--ttl must be a number and a unit (s, m, h or d) such as 30m, 1h or 7d, got ${JSON.stringify(text)}` };
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
  if (seconds < MIN_TTL_SECONDS) return { error: `--ttl must be at least 1m, got ${text}` };
  if (seconds > MAX_TTL_SECONDS) return { error: `--ttl must be at most 7d, got ${text}` };
  return seconds;
}

export function linkUrl(hostname: string, token: string): string {
  return `https://${hostname}/${token}/`;
}

export type Platform = "apple" | "android" | "windows" | "linux";
/** The page variants the njs handler picks from by User-Agent ("any": none recognised). */
export const PAGE_VARIANTS = ["apple", "android", "windows", "linux", "any"] as const;
const ORDER: Platform[] = ["apple", "android", "windows", "linux"];

interface Offer {
  platform: Platform;
  title: string;
  file: string;
  /** Two lines on what to tap (HTML-escaped by the page render). */
  steps: [string, string];
}

/** The files a link offers, in the page's order, and what to do with each. Apple gets the signed profile when there is one. */
export function linkOffers(user: string, hostname: string, region: string, set: ProfileSet): Offer[] {
  const apple = set.appleSigned ? `${user}-signed.mobileconfig` : `${user}.mobileconfig`;
  return [
    {
      platform: "apple",
      title: "iPhone, iPad and Mac",
      file: apple,
      steps: [
        "iPhone and iPad: open this page in Safari, tap the button and Allow; then in Settings tap Profile Downloaded and Install (within 8 minutes).",
        "Mac: open the downloaded file, then System Settings > Privacy & Security > Profiles (macOS 13 and later: General > Device Management) and Install.",
      ],
    },
    {
      platform: "android",
      title: "Android",
      file: `${user}.sswan`,
      steps: [
        "First install the strongSwan VPN Client app from Google Play or F-Droid.",
        "Tap the button, open the file with strongSwan and tap Import; then tap the profile to connect.",
      ],
    },
    {
      platform: "windows",
      title: "Windows 10 and 11",
      file: `${user}.ps1`,
      steps: [
        "Download the script, then open PowerShell in the Downloads folder (no administrator rights needed).",
        `Run: powershell -NoProfile -ExecutionPolicy Bypass -File .\\${user}.ps1 and connect from the network icon (${hostname}).`,
      ],
    },
    {
      platform: "linux",
      title: "Linux (NetworkManager)",
      file: `${user}.nmconnection`,
      steps: [
        "Install network-manager-strongswan, then as root: install -m 600 " + `${user}.nmconnection /etc/NetworkManager/system-connections/`,
        `nmcli connection reload; nmcli connection up ${hostname}`,
      ],
    },
    {
      platform: "linux",
      title: "Linux (swanctl, servers)",
      file: `${user}.swanctl.conf`,
      steps: [
        `As root: install -m 600 ${user}.swanctl.conf /etc/swanctl/conf.d/ and link /etc/ssl/certs/ISRG_Root_X1.pem into /etc/swanctl/x509ca/.`,
        `swanctl --load-all; swanctl --initiate --child vpn-${region}`,
      ],
    },
  ];
}

/** The page for one variant: that platform's offers first, the others below. Every value HTML-escaped. */
export function renderLinkPage(
  variant: (typeof PAGE_VARIANTS)[number],
  page: { user: string; hostname: string; region: string; expires: Date },
  offers: Offer[],
): string {
  const rank = (p: Platform) => (p === variant ? -1 : ORDER.indexOf(p));
  const sorted = [...offers].sort((a, b) => rank(a.platform) - rank(b.platform));
  return template("share/page.html.ejs")({
    user: escapeXML(page.user),
    hostname: escapeXML(page.hostname),
    region: escapeXML(page.region),
    expires: escapeXML(utcMinute(page.expires.toISOString())),
    sections: sorted.map((o) => ({
      title: escapeXML(o.title),
      href: escapeXML(encodeURIComponent(o.file)),
      label: escapeXML(`Download ${o.file}`),
      steps: o.steps.map((s) => escapeXML(s)),
    })),
  });
}

export interface LinkRequest {
  token: string;
  user: string;
  region: string;
  hostname: string;
  /** Unix seconds. */
  expires: number;
  set: ProfileSet;
}

/**
 * What `vpn-share add` reads on stdin: "<token> <expires> <user> <region>", then
 * "<file> <base64>" per file: the offered profiles (bytes as `npm run profiles`
 * writes them) and the page variants.
 */
export function linkBundle(req: LinkRequest): string {
  const all = profileFiles(req.user, req.region, req.set);
  const offers = linkOffers(req.user, req.hostname, req.region, req.set);
  const lines = [`${req.token} ${req.expires} ${req.user} ${req.region}\n`];
  for (const o of offers) {
    const content = all[o.file];
    if (content === undefined) throw new Error(`no ${o.file} among ${req.user}'s profiles`);
    lines.push(`${o.file} ${Buffer.from(content).toString("base64")}\n`);
  }
  const page = { user: req.user, hostname: req.hostname, region: req.region, expires: new Date(req.expires * 1000) };
  for (const v of PAGE_VARIANTS) lines.push(`page-${v}.html ${Buffer.from(renderLinkPage(v, page, offers)).toString("base64")}\n`);
  return lines.join("");
}

export interface LiveLink {
  region: string;
  /** The token's first characters, never all of it. */
  prefix: string;
  user: string;
  /** ISO 8601, UTC. */
  expires: string;
  created: string;
  files: string[];
  fetched: string[];
}

const iso = (unix: string) => new Date(Number(unix) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** `vpn-share list` output of one region -> links; lines that do not parse are skipped. */
export function parseLinkList(region: string, text: string): LiveLink[] {
  const out: LiveLink[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(" ");
    if (f.length !== 7 || !/^\d+$/.test(f[3]) || !/^\d+$/.test(f[4])) continue;
    const files = f[5].split(",");
    const left = f[6] === "-" ? [] : f[6].split(",");
    out.push({ region, prefix: f[0], user: f[1], expires: iso(f[3]), created: iso(f[4]), files, fetched: files.filter((x) => !left.includes(x)) });
  }
  return out.sort((a, b) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0));
}
