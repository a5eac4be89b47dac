// What the client profiles switch on: VPN On Demand, the trusted Wi-Fi networks and
// Apple's kill switch.
import type { OnDemand } from "../../model/types";
import { bool, Collector, describe, list, oneOf, Raw } from "./fields";

const SSID_MAX_BYTES = 32;

function validateSsids(c: Collector, raw: Raw): string[] {
  const listed = list(c, raw, "vpn:trustedSsids", []) ?? [];
  return listed.filter((v, i): v is string => {
    if (typeof v !== "string" || v.length === 0 || Buffer.byteLength(v) > SSID_MAX_BYTES || /[\x00-\x1f\x7f]/.test(v)) {
      c.add(`vpn:trustedSsids[${i}]`, `must be a Wi-Fi SSID (1-32 bytes, no control characters), got ${describe(v)}`);
      return false;
    }
    return true;
  });
}

/** vpn:onDemand, vpn:trustedSsids and vpn:appleKillSwitch, in that order. */
export function validateOnDemand(c: Collector, raw: Raw): { onDemand: OnDemand; trustedSsids: string[]; appleKillSwitch: boolean } {
  const onDemand = oneOf<OnDemand>(c, raw, "vpn:onDemand", ["off", "always", "untrusted-wifi"], "off");
  const trustedSsids = validateSsids(c, raw);
  if (onDemand !== "untrusted-wifi" && trustedSsids.length > 0) c.add("vpn:trustedSsids", "only applies with vpn:onDemand untrusted-wifi");
  const appleKillSwitch = bool(c, raw, "vpn:appleKillSwitch", false);
  return { onDemand, trustedSsids, appleKillSwitch };
}
