// What answers on a host from outside: nmap from the upstream namespace, over
// IPv4 and IPv6. TCP: every port (a SYN scan: open and closed ports both answer,
// with SYN-ACK or RST). UDP: a port can answer only with a listening socket or
// an ICMP error, so the scan covers every UDP socket listening on the host plus
// a handful of unused ports (which would answer with ICMP if the firewall let
// the probe in). A decoy service (TCP and UDP) is started on the host first, so
// there is something listening that the firewall has to hide.
import { inNs, runOk } from "../../lib/exec";
import type { TestHost } from "./host";
import type { Lab } from "./lab";

const DECOY_PORT = 8443;
const UNUSED_UDP = [7, 53, 123, 161, 1900, 33434];

const DECOY = `
import socket, threading
def tcp(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, ${DECOY_PORT})); s.listen()
    while True:
        c, _ = s.accept(); c.sendall(b"decoy\\n"); c.close()
def udp(family, addr):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, ${DECOY_PORT}))
    while True:
        d, a = s.recvfrom(2048); s.sendto(b"decoy " + d, a)
ts = [threading.Thread(target=f, args=a) for f in (tcp, udp) for a in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::"))]
for t in ts: t.start()
`;

const PROBE_INSIDE = `
import socket
t = socket.create_connection(("127.0.0.1", ${DECOY_PORT}), timeout=5); assert t.recv(100) == b"decoy\\n"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5); u.sendto(b"x", ("127.0.0.1", ${DECOY_PORT}))
assert u.recvfrom(100)[0] == b"decoy x"
print("decoy answers")
`;

export interface ScanResult {
  /** "port/proto" answering over IPv4 or IPv6, sorted. */
  tcpAnswering: string[];
  udpAnswering: string[];
  decoyAnswersInside: boolean;
  summary: string;
}

/** Ports nmap reports open or closed (i.e. something answered) in its XML output. */
function answering(xml: string): string[] {
  return [...xml.matchAll(/<port protocol="(\w+)" portid="(\d+)"><state state="(\w+)"/g)]
    .filter((m) => m[3] === "open" || m[3] === "closed")
    .map((m) => `${m[2]}/${m[1]}`);
}

export async function scanFromOutside(lab: Lab, host: TestHost): Promise<ScanResult> {
  await host.sshOk(`systemd-run --quiet --unit vh-decoy python3 -c '${DECOY}'`);
  try {
    const inside = await host.ssh(`for i in $(seq 50); do python3 -c '${PROBE_INSIDE}' 2>/dev/null && exit 0; sleep 0.1; done; exit 1`, { timeoutMs: 30_000 });
    const listening = await host.sshOk("ss -Hlnu | awk '{print $4}' | sed 's/.*://' | sort -un");
    const udpPorts = [...new Set([500, 4500, DECOY_PORT, ...UNUSED_UDP, ...listening.split("\n").filter(Boolean).map(Number)])].sort((a, b) => a - b);
    const started = Date.now();
    const nmap = async (args: string[]) =>
      (await runOk(inNs(lab.upstream.name, ["nmap", "-n", "-Pn", "--max-retries", "1", "--min-rate", "30000", "-oX", "-", ...args]), { timeoutMs: 240_000 }))
        .stdout;
    const tcp = new Set<string>();
    const udp = new Set<string>();
    for (const [fam, addr] of [
      ["-4", host.v4],
      ["-6", host.v6],
    ]) {
      for (const p of answering(await nmap([fam, "-sS", "-p-", addr]))) tcp.add(p);
      for (const p of answering(await nmap([fam, "-sU", "-p", udpPorts.join(","), addr]))) udp.add(p);
    }
    const sort = (s: Set<string>) => [...s].sort((a, b) => parseInt(a) - parseInt(b));
    const result = { tcpAnswering: sort(tcp), udpAnswering: sort(udp), decoyAnswersInside: inside.code === 0 };
    return {
      ...result,
      summary:
        `TCP 1-65535 answering: ${result.tcpAnswering.join(" ") || "none"}; UDP ${udpPorts.join(",")} answering: ${result.udpAnswering.join(" ") || "none"} ` +
        `(IPv4 + IPv6, ${((Date.now() - started) / 1000).toFixed(1)} s); decoy on tcp+udp ${DECOY_PORT} answers inside: ${result.decoyAnswersInside}`,
    };
  } finally {
    await host.ssh("systemctl stop vh-decoy");
  }
}
