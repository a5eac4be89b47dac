import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../config/validate";
import { GENERATED_PLACEHOLDER, renderOffline, SECRET_PLACEHOLDER } from "../../model/offline";
import { PATHS } from "../../model/server/files";

const doc = {
  config: {
    "vpn:zone": "example.com",
    "vpn:hostname": "vpn.example.com",
    "vpn:users": ["alice", "bob"],
    "vpn:passwords": { alice: { secure: "AAABciphertext" } },
    "vpn:region": "eu-central",
  },
  render: { "eu-central": { ipv4: "198.51.100.7", ipv6: "2001:db8:7::7", ipv6Range: "2001:db8:77:1::" } },
};

test("secure values and generated passwords become placeholders; render: addresses are used", () => {
  const [r] = renderOffline(doc, "dev", validateConfig);
  const conf = r.files.find((f) => f.path === PATHS.swanctlConf)!.content;
  assert.ok(conf.includes(Buffer.from(SECRET_PLACEHOLDER).toString("hex")));
  assert.ok(conf.includes(Buffer.from(GENERATED_PLACEHOLDER).toString("hex")));
  assert.ok(conf.includes("addrs = 2001:db8:77:1::1:0/112"));
  assert.deepEqual(r.addresses, { ipv4: "198.51.100.7", ipv6: "2001:db8:7::7", ipv6Range: "2001:db8:77:1::/64" });
});

test("a stack file's config block works without the config: wrapper too", () => {
  const flat = { ...doc.config, render: doc.render };
  assert.deepEqual(renderOffline(flat, "dev", validateConfig), renderOffline(doc, "dev", validateConfig));
});

test("bad render: entries are rejected with their path", () => {
  assert.throws(() => renderOffline({ ...doc, render: { "us-ord": doc.render["eu-central"] } }, "dev", validateConfig), /render\.us-ord: no such region/);
  assert.throws(
    () => renderOffline({ ...doc, render: { "eu-central": { ...doc.render["eu-central"], ipv4: "2001:db8::1" } } }, "dev", validateConfig),
    /render\.eu-central\.ipv4/,
  );
  assert.throws(
    () => renderOffline({ ...doc, render: { "eu-central": { ...doc.render["eu-central"], ipv6Range: "nope" } } }, "dev", validateConfig),
    /render\.eu-central\.ipv6Range/,
  );
});

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, "base64")}`;
    }
  };
  walk(dir);
  return out;
}

test("npm run render writes the documented tree, byte-identical across runs, secrets 0600", () => {
  const tmp = mkdtempSync(join(tmpdir(), "render-"));
  try {
    const cfg = join(tmp, "stack.yaml");
    writeFileSync(cfg, JSON.stringify(doc)); // JSON is YAML
    const script = join(__dirname, "..", "..", "scripts", "render.ts");
    const renderTo = (out: string) =>
      execFileSync(process.execPath, ["--require", "ts-node/register/transpile-only", script, "--config", cfg, "--out", out], {
        cwd: join(__dirname, "..", ".."),
      });
    renderTo(join(tmp, "a"));
    renderTo(join(tmp, "b"));
    const a = tree(join(tmp, "a"));
    assert.deepEqual(tree(join(tmp, "b")), a);
    const paths = Object.keys(a);
    for (const p of [
      "/eu-central/server/etc/swanctl/swanctl.conf",
      "/eu-central/server/etc/nftables.conf",
      "/eu-central/provision/01-wait-ready.sh",
      "/eu-central/provision/02-install-packages.sh",
      "/eu-central/provision/03-push-files.sh",
      "/eu-central/provision/03-push-files.stdin",
      "/eu-central/provision/04-apply.sh",
    ]) {
      assert.ok(paths.includes(p), `missing ${p}`);
    }
    assert.ok(a["/eu-central/server/etc/swanctl/swanctl.conf"].startsWith("600 "));
    assert.ok(a["/eu-central/server/etc/swanctl/private/server-key.pem"].startsWith("600 "));
    assert.ok(a["/eu-central/provision/03-push-files.stdin"].startsWith("600 "));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("npm run render reports a bad config by key and exits non-zero", () => {
  const tmp = mkdtempSync(join(tmpdir(), "render-"));
  try {
    const cfg = join(tmp, "stack.yaml");
    writeFileSync(cfg, JSON.stringify({ config: { ...doc.config, "vpn:compat": "weak" } }));
    const script = join(__dirname, "..", "..", "scripts", "render.ts");
    let stderr = "";
    let status = 0;
    try {
      execFileSync(process.execPath, ["--require", "ts-node/register/transpile-only", script, "--config", cfg, "--out", join(tmp, "o")], {
        cwd: join(__dirname, "..", ".."),
        stdio: "pipe",
      });
    } catch (e: any) {
      status = e.status;
      stderr = String(e.stderr);
    }
    assert.equal(status, 1);
    assert.match(stderr, /vpn:compat: must be one of modern, legacy/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
