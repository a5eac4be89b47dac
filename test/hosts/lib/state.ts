// Reading a host's state over SSH for the assertions: file hashes, the live
// firewall and sysctls, the strongSwan service's process, and its SAs.
import { IkeSaInfo, parseListSas } from "../../lib/swanctl";
import type { TestHost } from "./host";

/** Every file under /etc and the step state directory, hashed; plus the live kernel state the steps set. */
export async function snapshot(host: TestHost): Promise<Record<string, string>> {
  const out = await host.sshOk(
    [
      "set -eu",
      "find /etc /var/lib/vpn-region -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sed 's/^/file /'",
      "find /etc /var/lib/vpn-region -xdev -print0 | sort -z | xargs -0 stat -c 'mode %a %n'",
      // The rules, not their state: -s drops counter values, -t the entries the IKE
      // rate-limit meters (dynamic sets) gather from traffic.
      "echo \"ruleset $(nft -s -t list ruleset | sha256sum | cut -d' ' -f1)\"",
      'for k in net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.eth0.accept_ra; do echo "sysctl $(sysctl -n $k) $k"; done',
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
  const out = await host.sshOk(
    "systemctl show strongswan -p MainPID -p ExecMainStartTimestampMonotonic -p ActiveState; systemctl is-enabled strongswan || true",
  );
  const prop = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(out)?.[1] ?? "";
  return {
    mainPid: prop("MainPID"),
    startedAt: prop("ExecMainStartTimestampMonotonic"),
    active: prop("ActiveState"),
    enabled: out.trim().split("\n").pop() ?? "",
  };
}

/** The IKE_SAs of the host's charon (swanctl --list-sas --raw over SSH, parsed by test/lib). */
export async function serverSas(host: TestHost): Promise<IkeSaInfo[]> {
  return parseListSas(await host.sshOk("swanctl --list-sas --raw"));
}

/** The user's established IKE_SA with an installed CHILD_SA, if any. */
export function establishedOf(sas: IkeSaInfo[], user: string): IkeSaInfo | undefined {
  return sas.find((s) => s.remoteUser === user && s.state === "ESTABLISHED" && s.children.some((c) => c.state === "INSTALLED"));
}
