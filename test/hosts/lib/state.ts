// Reading a host's state over SSH for the assertions: file hashes, the live
// firewall and sysctls, the strongSwan service's process, and its SAs.
import { parseRaw, ViciSection } from "../../lib/swanctl";
import type { TestHost } from "./host";

/** Every file under /etc and the step state directory, hashed; plus the live kernel state the steps set. */
export async function snapshot(host: TestHost): Promise<Record<string, string>> {
  const out = await host.sshOk(
    [
      "set -eu",
      "find /etc /var/lib/vpn-region -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sed 's/^/file /'",
      "find /etc /var/lib/vpn-region -xdev -print0 | sort -z | xargs -0 stat -c 'mode %a %n'",
      "echo \"ruleset $(nft list ruleset | sha256sum | cut -d' ' -f1)\"",
      "for k in net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.eth0.accept_ra; do echo \"sysctl $(sysctl -n $k) $k\"; done",
      "echo \"packages $(dpkg-query -W -f '${Package} ${Version} ${Status}\\n' | sha256sum | cut -d' ' -f1)\"",
    ].join("\n"),
  );
  const snap: Record<string, string> = {};
  for (const line of out.split("\n").filter(Boolean)) {
    const [kind, value, ...rest] = line.split(/\s+/);
    snap[`${kind} ${rest.join(" ")}`.trim()] = value;
  }
  return snap;
}

export interface ServiceState {
  mainPid: string;
  startedAt: string;
  active: string;
  enabled: string;
}

export async function strongswanService(host: TestHost): Promise<ServiceState> {
  const out = await host.sshOk("systemctl show strongswan -p MainPID -p ExecMainStartTimestampMonotonic -p ActiveState; systemctl is-enabled strongswan || true");
  const prop = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(out)?.[1] ?? "";
  return { mainPid: prop("MainPID"), startedAt: prop("ExecMainStartTimestampMonotonic"), active: prop("ActiveState"), enabled: out.trim().split("\n").pop() ?? "" };
}

export interface ServerSa {
  conn: string;
  uniqueId: string;
  state: string;
  eapId: string;
  vips: string[];
  childStates: string[];
}

/** The IKE_SAs of the host's charon (swanctl --list-sas --raw, parsed with test/lib's parser). */
export async function serverSas(host: TestHost): Promise<ServerSa[]> {
  const out = await host.sshOk("swanctl --list-sas --raw");
  const sas: ServerSa[] = [];
  for (const line of out.split("\n").filter((l) => l.startsWith("list-sa event"))) {
    for (const [conn, v] of Object.entries(parseRaw(line))) {
      const s = v as ViciSection;
      const children = Object.values((s["child-sas"] ?? {}) as ViciSection) as ViciSection[];
      sas.push({
        conn,
        uniqueId: String(s.uniqueid ?? ""),
        state: String(s.state ?? ""),
        // Listed only when it differs from the IKE identity (our clients send the user name as both).
        eapId: String(s["remote-eap-id"] ?? s["remote-id"] ?? ""),
        vips: ([] as string[]).concat((s["remote-vips"] as string[] | undefined) ?? []),
        childStates: children.map((c) => String(c.state ?? "")),
      });
    }
  }
  return sas;
}

/** The user's established IKE_SA with an installed CHILD_SA, if any. */
export function establishedOf(sas: ServerSa[], user: string): ServerSa | undefined {
  return sas.find((s) => s.eapId === user && s.state === "ESTABLISHED" && s.childStates.includes("INSTALLED"));
}
