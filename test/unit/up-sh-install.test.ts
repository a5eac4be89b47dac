// scripts/up.sh without a Pulumi CLI on PATH: it finds one in ~/.pulumi/bin, installs
// one with the official installer (a fake get.pulumi.com), or says in one line how to
// install it; whenever the CLI is not on PATH, the exact PATH line is printed (when
// installed and again at the end), and it makes the user's next `pulumi up` work.
// The world it runs in: ./up-sh-fixture.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { assertHintsWork, oneErrorLine, pulumiCalls, SDK_VERSION, STACK, upSh, world } from "./up-sh-fixture";

test("no CLI anywhere and no installer (no curl): one line, exit 1, how to install and the exact PATH line", () => {
  for (const pulumiHome of [false, true]) {
    const w = world({ cli: "none", pulumiHome });
    const r = upSh(w, ["--yes", STACK]);
    assert.equal(r.status, 1, r.out);
    const line = oneErrorLine(
      r.stderr
        .split("\n")
        .filter((l) => l.startsWith("up.sh: "))
        .join("\n"),
    );
    assert.match(line, /curl is not installed/);
    assert.match(line, /https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\//);
    assert.ok(
      line.includes(`'curl -fsSL https://get.pulumi.com | sh -s -- --version ${SDK_VERSION}${pulumiHome ? ` --install-root "${w.env.PULUMI_HOME}"` : ""}'`),
      line,
    );
    const pathLine = pulumiHome ? `export PATH="${w.env.PULUMI_HOME}/bin:$PATH"` : 'export PATH="$HOME/.pulumi/bin:$PATH"';
    assert.ok(line.includes(`'${pathLine}'`), `no ${pathLine} in: ${line}`);
    assert.ok(line.includes(`'./scripts/up.sh --yes ${STACK}'`), line);
    assert.ok(!pulumiCalls(r.calls).length);
    assertHintsWork(line);
  }
});

test("up.sh installs the CLI: the PATH line is printed then and again at the end, and makes `pulumi` work in a new shell", () => {
  for (const pulumiHome of [false, true]) {
    const w = world({ cli: "none", curl: true, pulumiHome });
    const r = upSh(w, ["--yes", STACK]);
    assert.equal(r.status, 0, r.out);
    const root = w.env.PULUMI_HOME ?? join(w.home, ".pulumi");
    assert.ok(existsSync(join(root, "bin", "pulumi")));
    const installer = r.calls.find((l) => l.startsWith("installer\t"));
    assert.ok(installer && installer.includes(`--install-root ${root}`) && installer.includes("--no-edit-path"), installer);
    const pathLine = pulumiHome ? `export PATH="${root}/bin:$PATH"` : 'export PATH="$HOME/.pulumi/bin:$PATH"';
    const shown = r.out.split("\n").filter((l) => l.includes(pathLine));
    assert.ok(shown.length >= 2, `the PATH line is not printed twice:\n${r.out}`);
    assert.ok(
      r.stdout
        .trimEnd()
        .split("\n")
        .slice(-6)
        .some((l) => l === `  ${pathLine}`),
      `not at the end:\n${r.stdout}`,
    );
    assertHintsWork(r.out);
    // The printed exports in a new login-less shell: `pulumi` and the backend are there.
    const exports = r.stdout
      .split("\n")
      .filter((l) => /^ {2}export /.test(l))
      .join("\n");
    const sh = spawnSync("bash", ["-c", `${exports}\ncommand -v pulumi && echo "$PULUMI_BACKEND_URL"`], {
      encoding: "utf8",
      env: { HOME: w.home, PATH: "/usr/bin:/bin" },
    });
    assert.equal(sh.status, 0, sh.stderr);
    assert.deepEqual(sh.stdout.trim().split("\n"), [join(root, "bin", "pulumi"), `file://${w.proj}/.pulumi-state`]);
  }
});

test("a CLI in ~/.pulumi/bin but not on PATH: used, and the PATH line ends the output; a CLI on PATH: no PATH line", () => {
  const w = world({ cli: "home" });
  const r = upSh(w, ["--yes", STACK]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.stdout, /^ {2}export PATH="\$HOME\/\.pulumi\/bin:\$PATH"$/m);
  const onPath = upSh(world({ cli: "path" }), ["--yes", STACK]);
  assert.equal(onPath.status, 0, onPath.out);
  assert.doesNotMatch(onPath.out, /export PATH=/);
});
