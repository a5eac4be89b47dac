// One-time profile links (npm run share) served by the VPN server itself: the
// server already holds a publicly trusted certificate for its hostname, so a phone
// fetches its profile over HTTPS with nothing new to trust.
//
// Design: Debian's nginx on TCP 443 with the stack's certificate, and its njs
// module (libnginx-mod-http-js) for the one thing nginx cannot do alone: serve a
// file once. Each link is a directory in a tmpfs (/run), owned by nginx's worker
// user, written over the pinned SSH connection by `vpn-share add` and removed at
// expiry by a timer. Nothing about links is reachable over HTTP but GET of a live
// token's page and files. Off (vpn:shareLinks: false): none of these files, no
// packages, 443 closed in both firewalls.
import { template } from "../../templates";
import type { RegionSpec, VpnConfig } from "../types";

export const SHARE_PATHS = {
  nginxSite: "/etc/nginx/conf.d/vpn-share.conf",
  /** nginx's own files for links: read by its master process (root) at start and reload. */
  dir: "/etc/nginx/vpn-share",
  handler: "/etc/nginx/vpn-share/share.js",
  /** The server certificate followed by its chain: nginx wants one file. */
  fullchain: "/etc/nginx/vpn-share/fullchain.pem",
  script: "/usr/local/sbin/vpn-share",
  tmpfiles: "/etc/tmpfiles.d/vpn-share.conf",
  sweepService: "/etc/systemd/system/vpn-share-sweep.service",
  sweepTimer: "/etc/systemd/system/vpn-share-sweep.timer",
  /** Live links, one directory per token (tmpfs). */
  store: "/run/vpn-share",
  /** Without the URI (it holds the token): address, time, status, size. */
  accessLog: "/var/log/nginx/vpn-share.log",
  errorLog: "/var/log/nginx/vpn-share-error.log",
  /** Debian's default site (port 80): removed, nothing but links is served. */
  debianDefaultSite: "/etc/nginx/sites-enabled/default",
} as const;

/** Debian packages for links: nginx and its njs module. */
export const SHARE_PACKAGES = ["nginx", "libnginx-mod-http-js"] as const;

/** nginx's worker user on Debian (nginx.conf "user www-data"): the only reader of live links. */
const SHARE_OWNER = "www-data";

const SHARE_LIMITS = {
  /** Requests a minute per client address; a link is a page and a file or two. */
  ratePerMinute: 20,
  burst: 10,
  /** How often expired links are removed from memory (systemd OnCalendar). */
  sweepCalendar: "*-*-* *:*:00",
} as const;

/**
 * A token: 18 random bytes as base64url, 24 characters (144 bits; at least 128 are
 * asked for). Shown only in the link; everywhere else only its first TOKEN_PREFIX_LENGTH characters.
 */
export const TOKEN_BYTES = 18;
export const TOKEN_PATTERN = "[A-Za-z0-9_-]{24}";
export const TOKEN_PREFIX_LENGTH = 8;

/** Content types by file extension. Apple's for the Safari install prompt, strongSwan's for the Android app (docs.strongswan.org, "Android VPN Client Profiles"). */
export const SHARE_CONTENT_TYPES: Record<string, string> = {
  mobileconfig: "application/x-apple-aspen-config",
  sswan: "application/vnd.strongswan.profile",
  ps1: "application/octet-stream",
  nmconnection: "application/octet-stream",
  conf: "application/octet-stream",
};

export function shareLinksEnabled(config: Pick<VpnConfig, "shareLinks">): boolean {
  return config.shareLinks !== false;
}

export interface ShareFile {
  path: string;
  mode: string;
  content: string;
  secret: boolean;
}

/** The server files for links (empty when off). `fullchain` is the certificate and its chain, PEM. */
export function renderShareFiles(config: Pick<VpnConfig, "shareLinks">, region: RegionSpec, fullchain: string, keyPath: string): ShareFile[] {
  if (!shareLinksEnabled(config)) return [];
  const common = { store: SHARE_PATHS.store, script: SHARE_PATHS.script, handler: SHARE_PATHS.handler, owner: SHARE_OWNER, tokenPattern: TOKEN_PATTERN };
  return [
    {
      path: SHARE_PATHS.nginxSite,
      mode: "644",
      secret: false,
      content: template("share/nginx.conf.ejs")({
        hostname: region.hostname,
        handler: SHARE_PATHS.handler,
        fullchain: SHARE_PATHS.fullchain,
        key: keyPath,
        rate: SHARE_LIMITS.ratePerMinute,
        burst: SHARE_LIMITS.burst,
        accessLog: SHARE_PATHS.accessLog,
        errorLog: SHARE_PATHS.errorLog,
      }),
    },
    { path: SHARE_PATHS.handler, mode: "644", secret: false, content: template("share/share.js.ejs")({ ...common, types: SHARE_CONTENT_TYPES }) },
    { path: SHARE_PATHS.fullchain, mode: "644", secret: false, content: fullchain },
    { path: SHARE_PATHS.script, mode: "755", secret: false, content: template("share/vpn-share.sh.ejs")({ ...common, prefixLength: TOKEN_PREFIX_LENGTH }) },
    { path: SHARE_PATHS.tmpfiles, mode: "644", secret: false, content: template("share/tmpfiles.conf.ejs")(common) },
    { path: SHARE_PATHS.sweepService, mode: "644", secret: false, content: template("share/vpn-share-sweep.service.ejs")(common) },
    {
      path: SHARE_PATHS.sweepTimer,
      mode: "644",
      secret: false,
      content: template("share/vpn-share-sweep.timer.ejs")({ calendar: SHARE_LIMITS.sweepCalendar }),
    },
  ];
}
