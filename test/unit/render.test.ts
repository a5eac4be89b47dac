import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { validateConfig } from "../../config/validate";
import { renderRegion } from "../../model/render";
import { PATHS } from "../../model/server/files";
import { SERVER_PACKAGES, STEP_ORDER } from "../../model/steps";
import { ipv6Pool, normalizeRange } from "../../model/addresses";
import { BASE, PASSWORDS, THREE_REGIONS, withKeys } from "./fixtures";

const config = validateConfig(BASE);
const render = () => renderRegion({ config, region: config.regions[0], passwords: PASSWORDS });
const file = (path: string) => render().files.find((f) => f.path === path)!;

test("the server gets exactly the documented files, secrets 0600", () => {
  const files = render().files;
  assert.deepEqual(
    files.map((f) => `${f.mode} ${f.path}`),
    [
      "755 /etc/nftables.conf",
      "644 /etc/apt/apt.conf.d/52vpn-unattended-upgrades",
      "644 /etc/ssh/sshd_config.d/00-vpn-hardening.conf",
      "644 /etc/systemd/system/apt-daily-upgrade.timer.d/50-vpn-maintenance-window.conf",
      "644 /etc/systemd/system/vpn-resolver-address.service",
      "644 /etc/unbound/unbound.conf.d/vpn-resolver.conf",
      // One-time profile links (model/server/share.ts), on by default.
      "644 /etc/nginx/conf.d/vpn-share.conf",
      "644 /etc/nginx/vpn-share/fullchain.pem",
      "644 /etc/nginx/vpn-share/share.js",
      "755 /usr/local/sbin/vpn-share",
      "644 /etc/tmpfiles.d/vpn-share.conf",
      "644 /etc/systemd/system/vpn-share-sweep.service",
      "644 /etc/systemd/system/vpn-share-sweep.timer",
      "644 /etc/strongswan.d/zz-vpn.conf",
      "600 /etc/swanctl/private/server-key.pem",
      "600 /etc/swanctl/swanctl.conf",
      "644 /etc/swanctl/x509/server.pem",
      "644 /etc/swanctl/x509ca/chain-1.pem",
      "644 /etc/sysctl.d/60-vpn.conf",
      "600 /var/lib/vpn-region/users",
    ].sort((a, b) => (a.split(" ")[1] < b.split(" ")[1] ? -1 : 1)),
  );
  for (const f of files) if (f.secret) assert.equal(f.mode, "600", f.path);
  assert.deepEqual(
    files
      .filter((f) => f.secret)
      .map((f) => f.path)
      .sort(),
    [PATHS.serverKey, PATHS.swanctlConf],
  );
});

test("swanctl.conf: road warrior with certificate + EAP-MSCHAPv2 and the settings the issue asks for", () => {
  const conf = file(PATHS.swanctlConf).content;
  for (const line of [
    "version = 2",
    "send_cert = always",
    "unique = never",
    "fragmentation = yes",
    "mobike = yes",
    "encap = yes",
    "reauth_time = 0",
    "dpd_action = clear",
    'id = "vpn.example.com"',
    "auth = eap-mschapv2",
    "eap_id = %any",
    "local_ts = 0.0.0.0/0, ::/0",
    "certs = server.pem",
  ]) {
    assert.ok(conf.includes(line), `missing: ${line}`);
  }
  assert.match(conf, /dpd_delay = \d+s/);
  assert.doesNotMatch(conf, /!/, "ipsec.conf-style strict flag in swanctl proposals");
});

test("pools: v4 from vpn:poolV4 (split around static addresses), v6 from the routed /64, DNS per family", () => {
  const conf = file(PATHS.swanctlConf).content;
  // .1 is the server's own address (its resolver): the dynamic range starts at .2. DNS: the server by default.
  assert.match(conf, /addrs = 10\.47\.83\.2-10\.47\.83\.49\n\s+dns = 10\.47\.83\.1\n/);
  assert.match(conf, /addrs = 10\.47\.83\.51-10\.47\.83\.254/);
  assert.match(conf, /addrs = 10\.47\.83\.50\/32/);
  assert.match(conf, /addrs = 2001:db8:1:1::1:0\/112\n\s+dns = 2001:db8:1:1::1:0\n/);
  const noStatic = renderRegion({ config: validateConfig(withKeys({ "vpn:users": ["alice"] })), region: config.regions[0], passwords: PASSWORDS });
  assert.match(noStatic.files.find((f) => f.path === PATHS.swanctlConf)!.content, /pool-v4 \{\n\s+addrs = 10\.47\.83\.2-10\.47\.83\.254\n/);
  const publicDns = validateConfig(withKeys({ "vpn:dnsServers": ["9.9.9.9", "149.112.112.112", "2620:fe::fe"] }));
  const overridden = renderRegion({ config: publicDns, region: publicDns.regions[0], passwords: PASSWORDS }).files.find(
    (f) => f.path === PATHS.swanctlConf,
  )!.content;
  assert.match(overridden, /addrs = 10\.47\.83\.2-10\.47\.83\.49\n\s+dns = 9\.9\.9\.9, 149\.112\.112\.112\n/, "vpn:dnsServers overrides");
  assert.match(overridden, /addrs = 2001:db8:1:1::1:0\/112\n\s+dns = 2620:fe::fe\n/);
});

test("the IPv6 pool is a slice of the routed range, whatever form Linode reports it in", () => {
  assert.equal(normalizeRange("2600:3c00:e000:1f0::"), "2600:3c00:e000:1f0::/64");
  assert.equal(normalizeRange("2600:3c00:e000:1f0::/64"), "2600:3c00:e000:1f0::/64");
  assert.equal(ipv6Pool("2600:3c00:e000:1f0::/64"), "2600:3c00:e000:1f0::1:0/112");
});

test("EAP secrets: one per user, hex-encoded so no password can break the syntax", () => {
  const hostile = `a"b\\c #{} '0s`;
  const c = validateConfig(withKeys({ "vpn:passwords": { alice: hostile } }));
  const conf = renderRegion({ config: c, region: c.regions[0], passwords: { ...PASSWORDS, alice: hostile } }).files.find(
    (f) => f.path === PATHS.swanctlConf,
  )!.content;
  assert.ok(conf.includes(`secret = 0x${Buffer.from(hostile).toString("hex")}`));
  assert.ok(!conf.includes(hostile));
  assert.equal((conf.match(/eap-u\d+ \{/g) ?? []).length, 2);
  assert.match(conf, /id = "alice"/);
});

test("a user without a password cannot be rendered (nothing half-configured)", () => {
  assert.throws(() => renderRegion({ config, region: config.regions[0], passwords: { alice: "only-alice-here" } }), /no password for user bob/);
});

test("nftables: default drop, IKE/NAT-T, SSH from the allowed CIDRs, pool-based forward and masquerade, MSS clamp", () => {
  const c = validateConfig(withKeys({ "vpn:sshAllowedCidrs": ["203.0.113.0/24"] }));
  const nft = renderRegion({ config: c, region: c.regions[0], passwords: PASSWORDS }).files.find((f) => f.path === PATHS.nftablesConf)!.content;
  assert.match(nft, /hook input priority filter; policy drop;/);
  assert.match(nft, /hook forward priority filter; policy drop;/);
  assert.match(nft, /udp dport \{ 500, 4500 \} accept/);
  assert.match(nft, /elements = \{ 203\.0\.113\.0\/24 \}/);
  assert.doesNotMatch(nft, /elements = \{ ::\/0 \}/, "no IPv6 SSH when only an IPv4 CIDR is allowed");
  assert.match(nft, /ip saddr 10\.47\.83\.0\/24 ip daddr != 10\.47\.83\.0\/24 masquerade/);
  assert.match(nft, /ip6 saddr 2001:db8:1:1::1:0\/112 iifname "ipsec0" accept/);
  assert.doesNotMatch(nft, /ip6 .*masquerade/, "the routed range is never NATed");
  assert.match(nft, /tcp option maxseg size set 1360/);
});

test("sysctl: forwarding for both families and accept_ra=2 on the uplink", () => {
  const s = file(PATHS.sysctlConf).content;
  assert.match(s, /^net\.ipv4\.ip_forward = 1$/m);
  assert.match(s, /^net\.ipv6\.conf\.all\.forwarding = 1$/m);
  assert.match(s, /^net\.ipv6\.conf\.eth0\.accept_ra = 2$/m);
});

test("strongswan.conf fragment keeps the resolve plugin off on the server", () => {
  const s = file(PATHS.strongswanConf).content;
  assert.match(s, /charon \{[\s\S]*resolve \{\s*load = no/);
  assert.match(s, /charon-systemd \{[\s\S]*resolve \{\s*load = no/);
});

test("remote steps: fixed order, exact packages, secrets only on stdin of the push step", () => {
  const { steps, files } = render();
  assert.deepEqual(
    steps.map((s) => s.name),
    [...STEP_ORDER],
  );
  assert.deepEqual(STEP_ORDER, ["wait-ready", "install-packages", "push-files", "apply"]);
  const install = steps[1].script;
  for (const p of SERVER_PACKAGES) assert.ok(install.includes(p), p);
  assert.doesNotMatch(install, /strongswan-starter/);
  assert.match(install, /DPkg::Lock::Timeout=/);
  const push = steps[2];
  assert.equal(push.secret, true);
  const lines = push.stdin!.trimEnd().split("\n");
  assert.equal(lines.length, files.length);
  for (const [i, line] of lines.entries()) {
    const [mode, path, b64] = line.split(" ");
    assert.equal(mode, files[i].mode);
    assert.equal(path, files[i].path);
    assert.equal(Buffer.from(b64, "base64").toString("utf8"), files[i].content);
  }
  for (const s of steps) {
    assert.ok(!s.script.includes(PASSWORDS.alice), `${s.name} script carries a password`);
    assert.equal(s.secret, s.name === "push-files", `${s.name} secret flag`);
  }
  assert.match(steps[3].script, /swanctl --load-all --noprompt/);
});

test("apply ends the sessions of users no longer configured, and only theirs", () => {
  const apply = render().steps[3].script;
  assert.match(apply, /swanctl --terminate --ike-id "\$id"/);
  assert.equal(file("/var/lib/vpn-region/users").content, "alice\nbob\n");
  // Run the SA filter on real `swanctl --list-sas` output shapes.
  const awk = /swanctl --list-sas 2>\/dev\/null \| awk '([\s\S]*?)'\s*\| while/.exec(apply)![1];
  const listing = [
    "rw: #12, ESTABLISHED, IKEv2, 0a1b_i 2c3d_r*",
    "  local  'vpn.example.com' @ 192.0.2.1[4500]",
    "  remote '192.0.2.14' @ 192.0.2.14[4500] EAP: 'carol' [10.47.83.1]",
    "rw: #13, ESTABLISHED, IKEv2, 0a1b_i 2c3d_r*",
    "  remote 'alice' @ 192.0.2.15[4500] [10.47.83.2]",
    "rw: #14, CONNECTING, IKEv2, 0a1b_i 2c3d_r*",
    "  remote '192.0.2.16' @ 192.0.2.16[500]",
    "",
  ].join("\n");
  const out = execFileSync("awk", [awk], { input: listing }).toString();
  assert.equal(out, "12 carol\n13 alice\n");
});

test("apply restarts strongSwan only when the daemon settings changed", () => {
  const apply = render().steps[3].script;
  const restartLine = apply.split("\n").findIndex((l) => l.includes("systemctl restart strongswan"));
  assert.ok(restartLine > 0);
  assert.match(
    apply
      .split("\n")
      .slice(restartLine - 2, restartLine)
      .join("\n"),
    /zz-vpn\.conf/,
  );
});

test("every step script is valid POSIX sh", () => {
  for (const s of render().steps) execFileSync("sh", ["-n"], { input: s.script });
});

test("rendering is deterministic: same input, byte-identical output", () => {
  assert.deepEqual(render(), render());
  const c = validateConfig(THREE_REGIONS);
  const a = c.regions.map((r) => renderRegion({ config: c, region: r, passwords: PASSWORDS }));
  const b = c.regions.map((r) => renderRegion({ config: validateConfig(THREE_REGIONS), region: r, passwords: { ...PASSWORDS } }));
  assert.deepEqual(a, b);
  assert.notEqual(a[0].addresses.ipv6Range, a[1].addresses.ipv6Range, "regions get distinct stand-in ranges");
  assert.ok(a[1].files.find((f) => f.path === PATHS.swanctlConf)!.content.includes('id = "fra.vpn.example.com"'));
});

test("the certificate, chain and key are pushed as given, one certificate per chain file", () => {
  const cert = "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n";
  const chain = "-----BEGIN CERTIFICATE-----\nINT1\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nINT2\n-----END CERTIFICATE-----\n";
  const r = renderRegion({ config, region: config.regions[0], passwords: PASSWORDS, certificate: { certPem: cert, chainPem: chain, keyPem: "KEY" } });
  assert.equal(r.files.find((f) => f.path === PATHS.serverCert)!.content, cert);
  assert.deepEqual(
    r.files.filter((f) => f.path.startsWith(PATHS.chainDir)).map((f) => f.content.trim().split("\n")[1]),
    ["INT1", "INT2"],
  );
  assert.equal(r.files.find((f) => f.path === PATHS.serverKey)!.content, "KEY\n");
});

test("vpn:shareLinks false: no nginx file, no package, no 443 in nftables or the Cloud Firewall; on: all of them", async () => {
  const { inboundRules } = await import("../../components/firewall");
  const off = validateConfig(withKeys({ "vpn:shareLinks": false }));
  const offRender = renderRegion({ config: off, region: off.regions[0], passwords: PASSWORDS });
  const onRender = render();
  const paths = (r: typeof onRender) => r.files.map((f) => f.path);
  const shareOnly = paths(onRender).filter((p) => !paths(offRender).includes(p));
  assert.deepEqual(shareOnly.sort(), [
    "/etc/nginx/conf.d/vpn-share.conf",
    "/etc/nginx/vpn-share/fullchain.pem",
    "/etc/nginx/vpn-share/share.js",
    "/etc/systemd/system/vpn-share-sweep.service",
    "/etc/systemd/system/vpn-share-sweep.timer",
    "/etc/tmpfiles.d/vpn-share.conf",
    "/usr/local/sbin/vpn-share",
  ]);
  const nft = (r: typeof onRender) => r.files.find((f) => f.path === PATHS.nftablesConf)!.content;
  assert.match(nft(onRender), /^\s*tcp dport 443 accept/m);
  assert.doesNotMatch(nft(offRender), /443/);
  const install = (r: typeof onRender) => r.steps.find((s) => s.name === "install-packages")!.script;
  assert.match(install(onRender), /\bnginx libnginx-mod-http-js\b/);
  assert.doesNotMatch(install(offRender), /nginx/);
  assert.deepEqual(
    inboundRules(["0.0.0.0/0"], { shareLinks: true }).find((r) => r.label === "share-links"),
    { label: "share-links", action: "ACCEPT", protocol: "TCP", ports: "443", ipv4s: ["0.0.0.0/0"], ipv6s: ["::/0"] },
  );
  assert.equal(
    inboundRules(["0.0.0.0/0"], { shareLinks: false }).find((r) => r.ports === "443"),
    undefined,
  );
  // nginx gets the server certificate and its chain in one file, and strongSwan's key.
  const fullchain = onRender.files.find((f) => f.path === "/etc/nginx/vpn-share/fullchain.pem")!.content;
  assert.ok(fullchain.startsWith(file(PATHS.serverCert).content));
  assert.match(onRender.files.find((f) => f.path === "/etc/nginx/conf.d/vpn-share.conf")!.content, new RegExp(`ssl_certificate_key ${PATHS.serverKey};`));
});
