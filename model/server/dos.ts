// charon's denial-of-service settings and the firewall's per-source limits for new
// IKE traffic, chosen for a 1-vCPU VM serving a handful to a few hundred users
// ("IKE under attack": figures in docs/security.md "IKE floods" and npm run bench).
//
// strongSwan references: the strongswan.conf reference
// (https://docs.strongswan.org/docs/5.9/config/strongswanConf.html), "Tuning IKE SA
// Lookup" (https://docs.strongswan.org/docs/5.9/config/lookupTuning.html) and the
// DoS options as Tobias Brunner lays them out on the dev list (cookies for spoofed
// sources, block_threshold for real ones, then the global init_limit_* caps):
// https://lists.strongswan.org/pipermail/dev/2018-April/001895.html

export const CHARON_DOS = {
  /**
   * Hash buckets of the IKE_SA table (default 1: every lookup walks one list, so
   * CPU per packet grows with the half-open count during a flood). Power of two;
   * the lookup-tuning guide suggests 5-20 SAs per bucket.
   */
  ikesaTableSize: 1024,
  /** Locks over that table; one VM core needs few (the guide warns above 512). */
  ikesaTableSegments: 4,
  /** Global half-open IKE_SAs above which charon answers IKE_SA_INIT with a COOKIE only (default 10 in 5.9). */
  cookieThreshold: 10,
  /**
   * Half-open IKE_SAs one source address may hold (default 5). With the short
   * half-open timeout it caps the DH work one address can cause at
   * blockThreshold / halfOpenTimeout per second; a legitimate setup is half-open
   * for well under a second, so even many users behind one carrier-grade NAT
   * address rarely meet it (and then retransmit).
   */
  blockThreshold: 10,
  /**
   * Seconds a responder's half-open IKE_SA lives (default 30). Clients finish
   * IKE_AUTH within a few round trips; a flood's half-open SAs (memory) go 6x sooner.
   */
  halfOpenTimeout: 5,
} as const;

/**
 * Plugins Debian's packages load that a road-warrior IKEv2 server with EAP-MSCHAPv2
 * and certificates never uses. Each loaded listener runs on every IKE event;
 * `forecast` alone cost about 40 % of charon's CPU per flood packet here. Kept:
 * everything the server needs (openssl, kdf, eap-mschapv2, eap-identity,
 * kernel-netlink, socket-default, vici, updown, attr, x509, pem, pkcs1, ...).
 */
export const UNUSED_PLUGINS = [
  "connmark",
  "dhcp",
  "eap-radius",
  "eap-tnc",
  "error-notify",
  "farp",
  "forecast",
  "ha",
  "led",
  "lookip",
  "tnc-tnccs",
  "unity",
] as const;

/**
 * Per-source limit for new IKE traffic in nftables: every packet to UDP 500 and
 * every IKE_SA_INIT to UDP 4500, per IPv4 /32 and per IPv6 /64 (an IPv6 attacker
 * holds a whole /64). A connection costs a client 1-3 such packets (a COOKIE or
 * INVALID_KE_PAYLOAD round adds one); the burst lets 100 users behind one
 * carrier-grade NAT address reconnect at once. ESP-in-UDP and the IKE messages of
 * established tunnels (on 4500) are never counted.
 */
export const IKE_RATE_LIMIT = { perSecond: 50, burst: 200 } as const;
