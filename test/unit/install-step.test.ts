// The install step's script (templates/steps/install-packages.sh.ejs): what it
// upgrades on a new server follows unattended-upgrades' origins (one list, in
// model/server/hardening.ts), it is the same text for every config (so a config
// change never re-runs it), and it is valid sh. Its behaviour on a host (upgrade,
// marker, reboot, bounds) is the hosts tier's (test/hosts/upgrade.test.ts, vm.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { upgradeOrigins } from "../../model/server/hardening";
import { stepScripts, UPGRADE_MARKER } from "../../model/steps";

const script = () => stepScripts()["install-packages"];

describe("install-packages script", () => {
  it("upgrades from exactly unattended-upgrades' origins, per /etc/os-release ID", () => {
    const line = /^ORIGINS = (.*)$/m.exec(script());
    assert.ok(line, "the origins are one line of the selector");
    assert.deepEqual(JSON.parse(line[1]), { debian: upgradeOrigins("linode/debian12"), ubuntu: upgradeOrigins("linode/ubuntu24.04") });
  });

  it("is byte-identical on every render (no config, time or randomness in it)", () => {
    assert.equal(script(), script());
    assert.doesNotMatch(script(), /<%|%>/);
  });

  it("is valid sh and bash (the login shell runs it)", () => {
    for (const shell of ["sh", "bash"]) {
      const r = spawnSync(shell, ["-n"], { input: script(), encoding: "utf8" });
      assert.equal(r.status, 0, `${shell} -n: ${r.stderr}`);
    }
  });

  it("reboots only on a new server, after this script (and its marker) is done, with sshd stopped first", () => {
    const s = script();
    const later = s.indexOf('[ -n "$first_provisioning" ] || exit 0');
    const stop = s.indexOf("systemctl stop ssh.socket ssh.service");
    const schedule = s.indexOf("systemd-run --quiet --collect --unit=vpn-first-provisioning-reboot");
    const marker = s.lastIndexOf('mv -f "$marker.tmp" "$marker"');
    assert.ok(later > 0 && later < stop && stop < schedule && schedule < marker, "later runs exit first; sshd stops before the reboot is scheduled");
    assert.match(
      s,
      /while kill -0 \$shell_pid 2>\/dev\/null && \[ \\\$i -lt 600 \]/,
      "the reboot waits (bounded) for this script to exit, so the marker is in place",
    );
    assert.match(s, new RegExp(`^marker=${UPGRADE_MARKER}$`, "m"));
  });
});
