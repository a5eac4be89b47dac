// Client-side settings shared by several profile formats.

/**
 * Tunnel MTU set where the platform lets us: Apple (MTU, 1280-1400) and Android (mtu, 1280-1500)
 * only. Windows (no MTU parameter in Add-VpnConnection/Set-VpnConnection), NetworkManager-strongswan
 * and swanctl (kernel IPsec has no tunnel interface) have no per-connection setting; the server's
 * TCP MSS clamping (model/server/files.ts) covers TCP for every client. 1380 leaves
 * room for IPv6 + UDP + ESP (AES-GCM) headers even on a 1492-byte PPPoE uplink, and stays
 * below the 1400-byte TUN MTU of kernel-libipsec servers.
 */
export const TUNNEL_MTU = 1380;

/** NAT keepalive interval, the same as the server's charon.keep_alive (20 s; Apple's minimum). */
export const NAT_KEEPALIVE_SECONDS = 20;

/**
 * Apple's captive-portal check: 200 "Success" only when the Internet is really reachable. An
 * On-Demand Connect rule that requires this probe does not match behind a captive portal, so
 * the portal's login page can load outside the tunnel.
 */
export const CAPTIVE_PROBE_URL = "http://captive.apple.com/hotspot-detect.html";

/** The name a connection shows on the device: the region's hostname, which is unique per region. */
export function connectionName(hostname: string): string {
  return hostname;
}
