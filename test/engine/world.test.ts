// The local Linode world on its own, driven with plain HTTP calls to its API (no
// Pulumi CLI): an instance created by POST boots as a real Debian 12 host whose SSH
// presents the host key its user data carries (cloud-init NoCloud) and accepts the
// authorized key; a Cloud Firewall that allows only 22/tcp really closes the rest;
// DELETE removes the host completely, and stop() leaves nothing of the world.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../lib/exec";
import { waitFor } from "../lib/wait";
import { startWorld, World } from "./world/world";
import { NFT_TABLE } from "./world/addresses";

const skip = process.getuid?.() !== 0 ? "needs root (namespaces, containers, nftables)" : false;
const log = (m: string) => process.stderr.write(`${m}\n`);

async function api(world: World, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${world.url}/v4/${path}`, {
    method,
    headers: { authorization: `Bearer ${world.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

function keyPair(dir: string, name: string): { priv: string; pub: string; file: string } {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  return { priv: readFileSync(file, "utf8"), pub: readFileSync(`${file}.pub`, "utf8").trim(), file };
}

/** "ssh-ed25519 AAAA..." without the comment. */
const keyOf = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(" ");

/** ssh to root@addr, from namespace `ns` when given, trusting only `hostKey`. */
async function ssh(o: { ns?: string; addr: string; keyFile: string; hostKey: string; dir: string; command: string }) {
  const known = join(o.dir, `known-${Math.random().toString(36).slice(2)}`);
  writeFileSync(known, `${o.addr} ${o.hostKey}\n`);
  const argv = [
    "ssh",
    "-i",
    o.keyFile,
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${known}`,
    "-o",
    "ConnectTimeout=5",
    `root@${o.addr}`,
    o.command,
  ];
  return run(o.ns ? ["ip", "netns", "exec", o.ns, ...argv] : argv, { timeoutMs: 60_000 });
}

/** Sends one UDP datagram from namespace `ns` to addr:port; true when the echo comes back within 2 s. */
async function udpEcho(ns: string, addr: string, port: number): Promise<boolean> {
  const script =
    `const s=require("node:dgram").createSocket("${addr.includes(":") ? "udp6" : "udp4"}");` +
    `s.on("message",()=>{console.log("echo");process.exit(0)});s.send("ping",${port},"${addr}");setTimeout(()=>process.exit(1),2000);`;
  return (await run(["ip", "netns", "exec", ns, process.execPath, "-e", script], { timeoutMs: 10_000 })).code === 0;
}

async function tcpOpenFrom(ns: string, addr: string, port: number): Promise<boolean> {
  const r = await run(["ip", "netns", "exec", ns, "timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${addr}/${port}`], { timeoutMs: 10_000 });
  return r.code === 0;
}

describe("local Linode world (plain API calls)", { skip }, () => {
  let world: World | undefined;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "vpn-world-test-"));
    world = await startWorld({ dir: "/tmp/vpn-engine-world", log });
    log(`figure: world start ${world.timings.startMs} ms`);
  });

  after(async () => {
    if (world) {
      const t = Date.now();
      await world.stop();
      log(`figure: world stop ${Date.now() - t} ms`);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("boots an instance from a POST with the user data's host key, lets in root's key, enforces a 22-only firewall, and DELETE removes the host", async () => {
    const w = world!;
    const host = keyPair(dir, "host");
    const client = keyPair(dir, "client");
    const stranger = keyPair(dir, "stranger");
    const userData = [
      "#cloud-config",
      "ssh_deletekeys: true",
      "ssh_genkeytypes: []",
      "ssh_keys:",
      "  ed25519_private: |",
      ...host.priv
        .trimEnd()
        .split("\n")
        .map((l) => `    ${l}`),
      `  ed25519_public: ${host.pub}`,
      "",
    ].join("\n");
    const started = Date.now();
    const created = await api(w, "POST", "linode/instances", {
      label: "world-test-1",
      region: "us-ord",
      type: "g6-nanode-1",
      image: "linode/debian12",
      root_pass: "Zq8#vLp2!mRt9xWk-world",
      authorized_keys: [client.pub],
      metadata: { user_data: Buffer.from(userData).toString("base64") },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const id: number = created.json.id;
    const ipv4: string = created.json.ipv4[0];
    const ipv6: string = created.json.ipv6.split("/")[0];
    await waitFor(async () => (await api(w, "GET", `linode/instances/${id}`)).json.status === "running", {
      timeoutMs: 180_000,
      intervalMs: 200,
      what: "status running",
    });
    log(`figure: instance create -> running ${Date.now() - started} ms`);
    const c = await w.addClient();

    // The host key is the one the user data carries, over IPv4 and IPv6; a strange one is refused.
    const scan = await run(["ssh-keyscan", "-t", "ed25519", ipv4], { timeoutMs: 20_000 });
    const scanned = (scan.stdout.split("\n").find((l) => l.startsWith(`${ipv4} `)) ?? "").split(/\s+/).slice(1, 3).join(" ");
    assert.equal(scanned, keyOf(host.pub));
    const ok = await ssh({
      addr: ipv4,
      keyFile: client.file,
      hostKey: keyOf(host.pub),
      dir,
      command: "cloud-init status --wait >/dev/null; cloud-init status; ls /etc/ssh/ | grep -c '^ssh_host_.*_key$'",
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /status: done/);
    assert.equal(ok.stdout.trim().split("\n").pop(), "1", "only the user data's ed25519 host key exists");
    log(`figure: instance create -> ssh with the pinned host key ${Date.now() - started} ms`);
    const v6 = await ssh({ ns: c.name, addr: ipv6, keyFile: client.file, hostKey: keyOf(host.pub), dir, command: "true" });
    assert.equal(v6.code, 0, v6.stderr);
    const wrongPin = await ssh({ addr: ipv4, keyFile: client.file, hostKey: keyOf(stranger.pub), dir, command: "true" });
    assert.notEqual(wrongPin.code, 0, "a different pinned host key must be refused");
    const wrongKey = await ssh({ addr: ipv4, keyFile: stranger.file, hostKey: keyOf(host.pub), dir, command: "true" });
    assert.notEqual(wrongKey.code, 0, "a key that is not in authorized_keys must be refused");

    // Listeners on the instance, reachable while no firewall is attached.
    const listen = await ssh({
      addr: ipv4,
      keyFile: client.file,
      hostKey: keyOf(host.pub),
      dir,
      command:
        "systemd-run -q --unit=udp-echo python3 -c \"import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); s.bind(('::', 500))\n" +
        'while True:\n d, a = s.recvfrom(100); s.sendto(d, a)" && systemd-run -q --unit=tcp-8080 python3 -m http.server 8080',
    });
    assert.equal(listen.code, 0, listen.stderr);
    await waitFor(() => udpEcho(c.name, ipv4, 500), { timeoutMs: 15_000, intervalMs: 200, what: "udp echo on 500 before the firewall" });
    await waitFor(() => tcpOpenFrom(c.name, ipv4, 8080), { timeoutMs: 15_000, intervalMs: 200, what: "tcp 8080 before the firewall" });

    const fw = await api(w, "POST", "networking/firewalls", {
      label: "world-test-fw",
      rules: {
        inbound_policy: "DROP",
        outbound_policy: "ACCEPT",
        outbound: [],
        inbound: [{ action: "ACCEPT", protocol: "TCP", ports: "22", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }, label: "ssh" }],
      },
      devices: { linodes: [id] },
    });
    assert.equal(fw.status, 200, JSON.stringify(fw.json));
    await w.api.idle();
    assert.deepEqual(
      w.firewalls().map((f) => f.label),
      ["world-test-fw"],
    );
    assert.equal(await udpEcho(c.name, ipv4, 500), false, "500/udp must be closed by the firewall (IPv4)");
    assert.equal(await udpEcho(c.name, ipv6, 500), false, "500/udp must be closed by the firewall (IPv6)");
    assert.equal(await tcpOpenFrom(c.name, ipv4, 8080), false, "8080/tcp must be closed by the firewall");
    assert.equal(await tcpOpenFrom(c.name, ipv4, 22), true, "22/tcp stays open");
    // Outbound is ACCEPT and stateful: the instance reaches the upstream and gets the answer.
    const out = await ssh({
      addr: ipv4,
      keyFile: client.file,
      hostKey: keyOf(host.pub),
      dir,
      command: `python3 -c "import socket; s=socket.create_connection(('${w.upstream.v4}', ${w.upstream.port}), 5); print(s.recv(100).decode().strip())"`,
    });
    assert.equal(out.stdout.trim(), ipv4, out.stderr);

    // Opening 500/udp by a rule update opens it for real.
    const upd = await api(w, "PUT", `networking/firewalls/${fw.json.id}/rules`, {
      inbound_policy: "DROP",
      outbound_policy: "ACCEPT",
      outbound: [],
      inbound: [
        { action: "ACCEPT", protocol: "TCP", ports: "22", addresses: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }, label: "ssh" },
        { action: "ACCEPT", protocol: "UDP", ports: "500,4500", addresses: { ipv4: ["0.0.0.0/0"] }, label: "ike" },
      ],
    });
    assert.equal(upd.status, 200, JSON.stringify(upd.json));
    await w.api.idle();
    assert.equal(await udpEcho(c.name, ipv4, 500), true, "500/udp open over IPv4 after the rule update");
    assert.equal(await udpEcho(c.name, ipv6, 500), false, "the rule lists no IPv6 addresses: still closed over IPv6");

    // The routed /64 really routes to the instance: an address of it on the instance answers the upstream.
    const rng = await api(w, "POST", "networking/ipv6/ranges", { linode_id: id, prefix_length: 64 });
    assert.equal(rng.status, 200, JSON.stringify(rng.json));
    await w.api.idle();
    const range: string = rng.json.range;
    const inRange = `${range.split("/")[0]}5`;
    const addr = await ssh({ addr: ipv4, keyFile: client.file, hostKey: keyOf(host.pub), dir, command: `ip -6 addr add ${inRange}/128 dev lo` });
    assert.equal(addr.code, 0, addr.stderr);
    // (22/tcp: the firewall drops ICMP, as its inbound policy says.)
    assert.equal(await tcpOpenFrom(w.upstream.ns, inRange, 22), true, `upstream -> [${inRange}]:22 (in ${range})`);
    assert.equal(await tcpOpenFrom(w.upstream.ns, inRange, 8080), false, `the firewall covers the routed range too: [${inRange}]:8080 closed`);

    // A reboot from inside brings the instance back, as on Linode: same disk, same host
    // key, a new boot, and its routed range still routes to it.
    const bootId = async () =>
      (await ssh({ addr: ipv4, keyFile: client.file, hostKey: keyOf(host.pub), dir, command: "cat /proc/sys/kernel/random/boot_id" })).stdout.trim();
    const firstBoot = await bootId();
    const rebootAt = Date.now();
    await ssh({ addr: ipv4, keyFile: client.file, hostKey: keyOf(host.pub), dir, command: "systemctl reboot" });
    await waitFor(async () => w.instance(id)!.reboots === 1 && w.instance(id)!.status === "running", {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the instance booted again after its reboot",
    });
    const secondBoot = await bootId();
    assert.ok(secondBoot && secondBoot !== firstBoot, `a new boot with the pinned host key (${firstBoot} -> ${secondBoot})`);
    await ssh({ addr: ipv4, keyFile: client.file, hostKey: keyOf(host.pub), dir, command: `ip -6 addr add ${inRange}/128 dev lo` });
    assert.equal(await tcpOpenFrom(w.upstream.ns, inRange, 22), true, "the routed range routes to the rebooted instance");
    log(`figure: reboot from inside -> ssh again ${Date.now() - rebootAt} ms`);

    // DELETE: the host is gone completely.
    const inst = w.instance(id)!;
    const del = await api(w, "DELETE", `linode/instances/${id}`);
    assert.equal(del.status, 200, JSON.stringify(del.json));
    await w.api.idle();
    await waitFor(async () => (await api(w, "GET", `linode/instances/${id}`)).status === 404, { timeoutMs: 60_000, what: "404 after DELETE" });
    assert.deepEqual(w.instances(), []);
    assert.equal(existsSync(`/sys/class/net/${inst.name}`), false, "the instance's veth is gone");
    assert.equal(existsSync(inst.dir), false, "the instance's overlay dir is gone");
    assert.equal(readFileSync("/proc/mounts", "utf8").includes(inst.root), false, "no mount left");
    assert.equal(existsSync(`/sys/fs/cgroup/unified/vs/${inst.name}`), false, "no cgroup left");
    assert.equal(await tcpOpenFrom(c.name, ipv4, 22), false, "nothing answers on the old address");
    await api(w, "DELETE", `networking/firewalls/${fw.json.id}`);
  });

  it("serves the zone's records from its authoritative DNS to clients, and resolve() sees them", async () => {
    const w = world!;
    const zone = w.zones[0];
    const domains = await api(w, "GET", "domains");
    const domain = domains.json.data.find((d: { domain: string }) => d.domain === zone);
    assert.ok(domain, `zone ${zone} listed: ${JSON.stringify(domains.json)}`);
    const a = await api(w, "POST", `domains/${domain.id}/records`, { type: "A", name: "vpn", target: "203.0.113.99", ttl_sec: 300 });
    assert.equal(a.status, 200, JSON.stringify(a.json));
    const txt = await api(w, "POST", `domains/${domain.id}/records`, {
      type: "TXT",
      name: "_acme-challenge.vpn",
      target: 'token "quoted" value',
      ttl_sec: 300,
    });
    assert.equal(txt.status, 200, JSON.stringify(txt.json));
    await w.api.idle();
    assert.deepEqual(await w.resolve(`vpn.${zone}`), ["203.0.113.99"]);
    const c = await w.addClient();
    const got = await run(["ip", "netns", "exec", c.name, "getent", "hosts", `vpn.${zone}`]);
    assert.match(got.stdout, /^203\.0\.113\.99\s/, got.stderr);
    const dig = await run([
      "ip",
      "netns",
      "exec",
      c.name,
      process.execPath,
      "-e",
      `require("node:dns").promises.resolveTxt("_acme-challenge.vpn.${zone}").then((r) => console.log(JSON.stringify(r)))`,
    ]);
    assert.deepEqual(JSON.parse(dig.stdout), [['token "quoted" value']], dig.stderr);
    await api(w, "DELETE", `domains/${domain.id}/records/${a.json.id}`);
    await api(w, "DELETE", `domains/${domain.id}/records/${txt.json.id}`);
    await w.api.idle();
    assert.deepEqual(await w.resolve(`vpn.${zone}`), []);
    await w.removeClient(c);
  });

  it("stop() leaves no namespace, link, nft table, mount, cgroup or state file", async () => {
    const w = world!;
    world = undefined;
    const t = Date.now();
    await w.stop();
    log(`figure: world stop ${Date.now() - t} ms`);
    const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
    assert.doesNotMatch(links, /: vs-/);
    assert.doesNotMatch(execFileSync("ip", ["netns", "list"], { encoding: "utf8" }), /^vs-/m);
    assert.equal((await run(["nft", "list", "table", "inet", NFT_TABLE])).code !== 0, true, "nft table removed");
    assert.equal(existsSync("/sys/fs/cgroup/unified/vs"), false);
    assert.equal(existsSync(w.dir), false);
    assert.doesNotMatch(readFileSync("/proc/mounts", "utf8"), /\/instances\/vs-i/);
  });
});
