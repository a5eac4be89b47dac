// The server looks after itself: the sshd drop-in, unattended upgrades
// inside the maintenance window, and a forward chain that lets through only what a
// VPN needs. Checks the rendered files; the e2e and hosts tiers run them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../config/validate";
import { renderRegion } from "../../model/render";
import { PATHS } from "../../model/server/files";
import { SERVER_PACKAGES } from "../../model/steps";
import { BASE, PASSWORDS, withKeys } from "./fixtures";

const files = (extra: Record<string, unknown> = {}) => {
  const c = validateConfig(withKeys(extra));
  return renderRegion({ config: c, region: c.regions[0], passwords: PASSWORDS });
};
const content = (path: string, extra: Record<string, unknown> = {}) => files(extra).files.find((f) => f.path === path)!.content;
const directives = (text: string) =>
  text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/));

test("sshd drop-in: key-only root, no passwords or keyboard-interactive, no forwarding of X11/agent, short grace, few tries", () => {
  const f = files().files.find((x) => x.path === PATHS.sshdDropIn)!;
  assert.equal(f.mode, "644");
  assert.equal(f.secret, false);
  // sshd keeps the first value it reads, and reads sshd_config.d in name order: ours must sort first.
  assert.match(PATHS.sshdDropIn, /^\/etc\/ssh\/sshd_config\.d\/00-[a-z-]+\.conf$/);
  assert.deepEqual(Object.fromEntries(directives(f.content).map(([k, v]) => [k, v])), {
    PermitRootLogin: "prohibit-password",
    AuthenticationMethods: "publickey",
    PasswordAuthentication: "no",
    KbdInteractiveAuthentication: "no",
    PermitEmptyPasswords: "no",
    X11Forwarding: "no",
    AllowAgentForwarding: "no",
    LoginGraceTime: "30",
    MaxAuthTries: "3",
  });
});

test("apply validates sshd's configuration before the reload, and takes a refused drop-in out again", () => {
  const apply = files().steps.find((s) => s.name === "apply")!.script;
  const check = apply.indexOf("sshd -t");
  const reload = apply.indexOf("systemctl reload ssh");
  assert.ok(check > 0 && reload > check, "sshd -t comes before the reload");
  assert.match(apply.slice(check, reload), new RegExp(`rm -f ${PATHS.sshdDropIn.replace(/\./g, "\\.")}`));
  assert.match(apply, /grep -qxF \/etc\/ssh\/sshd_config\.d\/00-vpn-hardening\.conf "\$pending"/, "reloads only when the drop-in changed");
});

test("unattended upgrades: Debian security + point releases, Ubuntu -security/-updates, daily, reboot right after the window's run", () => {
  const debian = content(PATHS.unattendedUpgrades);
  assert.match(debian, /^#clear Unattended-Upgrade::Origins-Pattern;$/m);
  assert.match(debian, /^#clear Unattended-Upgrade::Allowed-Origins;$/m);
  const origins = (text: string) => [...text.matchAll(/^ {2}"(origin=[^"]+)";$/gm)].map((m) => m[1]);
  assert.deepEqual(origins(debian), [
    "origin=Debian,codename=${distro_codename},label=Debian",
    "origin=Debian,codename=${distro_codename}-security,label=Debian-Security",
  ]);
  const ubuntu = content(PATHS.unattendedUpgrades, { "vpn:image": "linode/ubuntu24.04" });
  assert.deepEqual(origins(ubuntu), ["origin=Ubuntu,archive=${distro_codename}-security", "origin=Ubuntu,archive=${distro_codename}-updates"]);
  for (const line of [
    'APT::Periodic::Update-Package-Lists "1";',
    'APT::Periodic::Unattended-Upgrade "1";',
    'Unattended-Upgrade::Automatic-Reboot "true";',
    'Unattended-Upgrade::Automatic-Reboot-Time "now";',
  ]) {
    assert.ok(debian.includes(line), line);
  }
  // Read after the package's 50unattended-upgrades and debconf's 20auto-upgrades (later values win).
  assert.ok(PATHS.unattendedUpgrades.split("/").pop()! > "50unattended-upgrades");
  assert.ok(SERVER_PACKAGES.includes("unattended-upgrades"));
});

test("the upgrade timer runs in vpn:maintenanceWindow (UTC), without a catch-up run at boot", () => {
  const dflt = content(PATHS.upgradeTimer);
  assert.match(dflt, /^OnCalendar=$/m, "Debian's 06:00 is reset first");
  assert.match(dflt, /^OnCalendar=\*-\*-\* 04:00:00 UTC$/m);
  assert.match(dflt, /^Persistent=false$/m);
  assert.match(dflt, /^RandomizedDelaySec=10m$/m);
  assert.match(content(PATHS.upgradeTimer, { "vpn:maintenanceWindow": "23:15" }), /^OnCalendar=\*-\*-\* 23:15:00 UTC$/m);
  const apply = files().steps.find((s) => s.name === "apply")!.script;
  assert.match(apply, /systemctl enable --quiet apt-daily\.timer apt-daily-upgrade\.timer/);
  assert.match(apply, /daemon-reload/);
});

test("vpn:maintenanceWindow and vpn:clientToClient are validated, naming the key", () => {
  for (const bad of ["4:00", "24:00", "04:60", "0400", "04:00 UTC", 4]) {
    assert.throws(() => validateConfig(withKeys({ "vpn:maintenanceWindow": bad })), /vpn:maintenanceWindow: must be/, String(bad));
  }
  assert.throws(() => validateConfig(withKeys({ "vpn:clientToClient": "yes" })), /vpn:clientToClient: must be true or false/);
  const c = validateConfig(BASE);
  assert.equal(c.maintenanceWindow, "04:00");
  assert.equal(c.clientToClient, false);
  assert.equal(validateConfig(withKeys({ "vpn:clientToClient": "true", "vpn:maintenanceWindow": "00:00" })).clientToClient, true);
});

test("nftables: no client to client by default, no link-local or metadata, no SSH through the tunnel, accept only decrypted traffic", () => {
  const nft = content(PATHS.nftablesConf);
  const pool4 = "10.47.83.0/24";
  const pool6 = "2001:db8:1:1::1:0/112";
  assert.ok(nft.includes(`ip saddr ${pool4} ip daddr ${pool4} drop`));
  assert.ok(nft.includes(`ip6 saddr ${pool6} ip6 daddr ${pool6} drop`));
  assert.ok(nft.includes(`ip saddr ${pool4} ip daddr 169.254.0.0/16 drop`));
  assert.ok(nft.includes(`ip6 saddr ${pool6} ip6 daddr { fe80::/10, fd00:a9fe:a9fe::1 } drop`));
  assert.ok(nft.includes(`ip saddr ${pool4} tcp dport 22 drop`));
  assert.ok(nft.includes(`ip6 saddr ${pool6} tcp dport 22 drop`));
  // The drops come before the rules that accept.
  const forward = nft.slice(nft.indexOf("chain forward"), nft.indexOf("chain postrouting"));
  assert.ok(forward.indexOf("daddr 169.254.0.0/16 drop") < forward.indexOf("ct state established,related accept"));
  assert.ok(forward.indexOf("client to client") < forward.indexOf("ct state established,related accept"));
  const accepts = forward.split("\n").filter((l) => /\baccept\b/.test(l) && !l.trim().startsWith("#"));
  assert.deepEqual(
    accepts.map((l) => l.trim().replace(/ comment .*/, "")),
    [
      "ct state established,related accept",
      `ip saddr ${pool4} meta ipsec exists accept`,
      `ip saddr ${pool4} iifname "ipsec0" accept`,
      `ip6 saddr ${pool6} meta ipsec exists accept`,
      `ip6 saddr ${pool6} iifname "ipsec0" accept`,
    ],
  );
  assert.ok(forward.indexOf("spoofed client address") > 0, "the anti-spoofing rules stay");
  const input = nft.slice(nft.indexOf("chain input"), nft.indexOf("chain forward"));
  assert.ok(input.indexOf("tcp dport 22 drop") < input.indexOf("tcp dport 22 ip saddr @ssh_v4 accept"));
});

test("nftables: vpn:clientToClient true forwards between clients; SSH through the tunnel only from pool CIDRs in vpn:sshAllowedCidrs", () => {
  const nft = content(PATHS.nftablesConf, { "vpn:clientToClient": true, "vpn:sshAllowedCidrs": ["0.0.0.0/0", "10.47.83.50/32"] });
  assert.doesNotMatch(nft, /client to client/);
  assert.ok(nft.includes("ip saddr 10.47.83.0/24 ip saddr != { 10.47.83.50/32 } tcp dport 22 drop"));
  assert.match(nft, /flags interval\n(\s*#.*\n)*\s*auto-merge/, "overlapping SSH CIDRs are merged, not refused by nft");
});

test("resolver: unbound listens only on the server's first pool addresses and answers only the pools", () => {
  const ub = content(PATHS.unboundConf);
  const lines = directives(ub.replace(/^\s+/gm, "")).map((l) => l.join(" "));
  assert.deepEqual(
    lines.filter((l) => l.startsWith("interface:")),
    ["interface: 10.47.83.1", "interface: 2001:db8:1:1::1:0"],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith("access-control:")),
    ["access-control: 0.0.0.0/0 refuse", "access-control: ::/0 refuse", "access-control: 10.47.83.0/24 allow", "access-control: 2001:db8:1:1::1:0/112 allow"],
  );
  // Validation comes from Debian's root-auto-trust-anchor-file.conf; nothing here turns it off or replaces the root.
  assert.deepEqual(
    lines.filter((l) => /^(module-config|val-permissive-mode|root-hints|trust-anchor|auto-trust-anchor|forward-zone|forward-addr)/.test(l)),
    [],
  );
  const unit = content(PATHS.resolverAddressUnit);
  assert.deepEqual(
    [...unit.matchAll(/^ExecStart=(.*)$/gm)].map((m) => m[1]),
    ["/sbin/ip address replace 10.47.83.1/32 dev lo", "/sbin/ip address replace 2001:db8:1:1::1:0/128 dev lo"],
  );
  assert.match(unit, /^Before=unbound\.service$/m);
  assert.ok(SERVER_PACKAGES.includes("unbound"));
});

test("resolver: pushed by default, vpn:dnsServers overrides; the server's address is no static address; nft lets only tunnel traffic reach it", () => {
  assert.deepEqual(validateConfig(BASE).dnsServers, []);
  assert.throws(
    () => validateConfig(withKeys({ "vpn:users": [{ name: "alice", staticIpv4: "10.47.83.1" }] })),
    /vpn:users\[0\]\.staticIpv4: 10\.47\.83\.1 is the server's own address/,
  );
  const nft = content(PATHS.nftablesConf);
  const input = nft.slice(nft.indexOf("chain input"), nft.indexOf("chain forward"));
  const spoof = input.indexOf('ip saddr 10.47.83.0/24 meta ipsec missing iifname != "ipsec0" drop');
  const dns = input.indexOf("ip saddr 10.47.83.0/24 ip daddr 10.47.83.1 meta l4proto { udp, tcp } th dport 53 accept");
  assert.ok(spoof > 0 && dns > spoof, "anti-spoofing before the resolver's accept rule");
  assert.ok(input.includes("ip6 saddr 2001:db8:1:1::1:0/112 ip6 daddr 2001:db8:1:1::1:0 meta l4proto { udp, tcp } th dport 53 accept"));
  assert.ok(input.indexOf('iif "lo" accept') < spoof, "the server's own queries (from its pool address on lo) are not taken for spoofed");
  const apply = files().steps.find((s) => s.name === "apply")!.script;
  assert.ok(apply.indexOf("unbound-checkconf") < apply.indexOf("systemctl restart unbound"));
  assert.ok(apply.indexOf("systemctl start vpn-resolver-address.service") < apply.indexOf("systemctl restart unbound"));
});
