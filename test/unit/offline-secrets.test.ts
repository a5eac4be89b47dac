// An offline render (npm run render) knows no password: `secure:` values exist only
// encrypted, generated ones only after deployment. Its profiles must therefore hold no
// password at all, neither a placeholder text that a device would store as if it were
// the password nor a plain value from the stack file, in any encoding the formats use
// (swanctl writes secrets as hex, signed profiles and keyfiles may carry base64). Each
// profile leaves the field out so the device asks, and says so where its format has
// comments.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { validateConfig } from "../../config/validate";
import { renderOffline } from "../../model/offline";
import { GENERATED_PLACEHOLDER, SECRET_PLACEHOLDER } from "../../model/placeholders";
import { renderProfiles } from "../../model/profiles";
import { glibUnescape, HOSTILE_PASSWORDS, parseIni, parsePlist, PASSWORDS, STACK, testConfig } from "./profiles-fixtures";

const ROOT = join(__dirname, "..", "..");

// A plain (not `secure:`) password in the stack file: offline it must stay out of the
// profiles too, since the render is meant to be diffed and shared for review.
const PLAIN = HOSTILE_PASSWORDS[2];
const doc = {
  config: {
    "vpn:zone": "example.com",
    "vpn:regions": [
      { region: "us-ord", hostname: "ord.vpn.example.com" },
      { region: "eu-central", hostname: "fra.vpn.example.com" },
    ],
    // Hostile but valid user names: every character the rule allows.
    "vpn:users": ["alice", "a.b+c@d-e_f", { name: "bob", staticIpv4: "10.47.83.50" }],
    "vpn:passwords": { alice: { secure: "AAABciphertext" }, "a.b+c@d-e_f": PLAIN },
    "vpn:onDemand": "untrusted-wifi",
    "vpn:trustedSsids": ["<!-- Home & Co -->"],
    "vpn:appleKillSwitch": true,
  },
};

/**
 * Every way a secret could sit in a file: as text (any case), hex (swanctl's 0x form),
 * and base64 at each of the three byte alignments it could have inside a larger blob
 * (a 20-character window that depends only on the secret's own bytes).
 */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const out = [secret.toLowerCase(), bytes.toString("hex"), Buffer.from(secret, "utf16le").toString("hex")];
  for (const lead of [0, 1, 2]) {
    const b64 = Buffer.concat([Buffer.alloc(lead), bytes]).toString("base64");
    out.push(b64.slice(4, 24), b64.slice(4, 24).replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return out;
}

function assertNoSecret(name: string, content: string | Buffer, secrets: string[]): void {
  const text = (Buffer.isBuffer(content) ? content.toString("latin1") : content).toLowerCase();
  for (const secret of secrets) {
    for (const form of encodings(secret)) {
      assert.ok(!text.includes(form.toLowerCase()), `${name} holds ${JSON.stringify(secret)} as ${JSON.stringify(form)}`);
    }
  }
}

const SECRETS = [SECRET_PLACEHOLDER, GENERATED_PLACEHOLDER, PLAIN];

describe("offline render: no password in any profile", () => {
  const regions = renderOffline(doc, STACK, validateConfig);
  const files = regions.flatMap((r) =>
    Object.entries(r.profiles).flatMap(([user, fs]) => Object.entries(fs).map(([name, content]) => ({ region: r.region, user, name, content }))),
  );

  it("no file holds a placeholder or a password, in any encoding", () => {
    assert.equal(files.length, 2 * 3 * 5, "five unsigned profiles per user and region");
    for (const f of files) assertNoSecret(`${f.region}/${f.user}/${f.name}`, f.content, SECRETS);
  });

  it("the detector does find each form (so the test above can fail)", () => {
    const online = renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: "[not a placeholder]" } }).alice["us-ord"];
    for (const [name, content] of Object.entries(online)) {
      if (name === "appleSigned") continue;
      assert.throws(() => assertNoSecret(name, content, ["[not a placeholder]"]), /holds/, name);
    }
    assert.throws(() => assertNoSecret("hex", `x 0x${Buffer.from(SECRET_PLACEHOLDER).toString("hex").toUpperCase()}`, SECRETS), /holds/);
    for (const lead of ["", "a", "ab"]) {
      assert.throws(
        () => assertNoSecret("b64", Buffer.from(lead + GENERATED_PLACEHOLDER + "tail").toString("base64"), SECRETS),
        /holds/,
        `lead ${lead.length}`,
      );
    }
  });

  const get = (user: string, ext: string) => files.find((f) => f.region === "us-ord" && f.user === user && f.name === `${user}${ext}`)!.content as string;

  for (const user of ["alice", "a.b+c@d-e_f", "bob"]) {
    it(`${user}: Apple leaves AuthPassword out (the device asks) and says so in an XML comment`, () => {
      const xml = get(user, ".mobileconfig");
      const payloads = parsePlist(xml).PayloadContent;
      assert.equal(payloads.length, 2);
      for (const p of payloads) {
        assert.equal(p.IKEv2.AuthenticationMethod, "None");
        assert.equal(p.IKEv2.ExtendedAuthEnabled, 1);
        assert.equal(p.IKEv2.AuthName, user);
        assert.ok(!("AuthPassword" in p.IKEv2), "AuthPassword present");
      }
      const comments = [...xml.matchAll(/<!--([\s\S]*?)-->/g)].map((m) => m[1]);
      assert.equal(comments.length, 1, xml.slice(0, 400));
      assert.match(comments[0], /no password/i);
      assert.ok(!comments[0].includes("--"), "'--' ends nothing inside an XML comment: it is not allowed there");
      assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), "the XML declaration must stay first");
    });

    it(`${user}: Windows script stores no credentials (Windows asks at the first connection) and says so`, () => {
      const ps1 = get(user, ".ps1");
      for (const gone of ["$Password", "RasSetCredentials", "LinodeIkev2Vpn.Ras", "Add-Type", "Set-VpnConnectionUsernamePassword"]) {
        assert.ok(!ps1.includes(gone), `${gone} in the no-password script`);
      }
      assert.match(ps1, /^Add-VpnConnection .* -AuthenticationMethod Eap .*-RememberCredential/m);
      assert.match(ps1, /^# .*no password.*$/im);
      assert.match(ps1, /^Set-VpnConnectionIPsecConfiguration /m, "the rest of the script stays");
      assert.ok(!/\r(?!\n)|[^\r]\n/.test(ps1), "CRLF line ends throughout");
    });

    it(`${user}: NetworkManager: password-flags=2 (not saved, always asked), no [vpn-secrets], a # comment`, () => {
      const nm = get(user, ".nmconnection");
      const ini = parseIni(nm);
      assert.equal(ini.vpn["password-flags"], "2");
      assert.equal(glibUnescape(ini.vpn.user), user);
      assert.ok(!("vpn-secrets" in ini), "vpn-secrets section present");
      assert.ok(!/^password=/m.test(nm));
      assert.match(nm.split("\n")[0], /^# .*no password/i);
    });

    it(`${user}: swanctl gets no secrets block and a # comment on how to add one`, () => {
      const conf = get(user, ".swanctl.conf");
      assert.ok(!/^\s*secrets\s*\{/m.test(conf), "secrets block present");
      assert.ok(!/^\s*secret\s*=/m.test(conf));
      assert.match(conf, /^# .*no password/im);
      assert.match(conf, /^\s+eap_id = /m, "the connection itself stays");
    });

    it(`${user}: .sswan (JSON, no comments) has no shared_secret`, () => {
      const p = JSON.parse(get(user, ".sswan"));
      assert.deepEqual(p.local, { eap_id: user });
    });
  }

  it("online profiles keep the password the stack gives (unchanged path)", () => {
    for (const pw of HOSTILE_PASSWORDS) {
      const set = renderProfiles({ stack: STACK, config: testConfig(), passwords: { ...PASSWORDS, alice: pw } }).alice["us-ord"];
      assert.equal(parsePlist(set.apple).PayloadContent[0].IKEv2.AuthPassword, pw);
      assert.ok(!set.apple.includes("<!--"), "no offline comment online");
      assert.ok(set.windows.includes("[LinodeIkev2Vpn.Ras]::Store($Name, $User, $Password)"));
      assert.equal(parseIni(set.linuxNm).vpn["password-flags"], "0");
      assert.ok(set.linuxSwanctl.includes(`secret = 0x${Buffer.from(pw).toString("hex")}`));
    }
  });
});

function walk(dir: string, base = dir): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) Object.assign(out, walk(p, base));
    else out[p.slice(base.length)] = readFileSync(p);
  }
  return out;
}

describe("npm run render writes no password into any profile file", () => {
  it("examples/render.yaml and the test stack: every file under profiles/ is clean", () => {
    const tmp = mkdtempSync(join(tmpdir(), "render-secrets-"));
    try {
      const hostile = join(tmp, "hostile.yaml");
      writeFileSync(hostile, YAML.stringify(doc));
      for (const cfg of [join(ROOT, "examples", "render.yaml"), hostile]) {
        const out = join(tmp, "out");
        rmSync(out, { recursive: true, force: true });
        execFileSync(process.execPath, ["--require", "ts-node/register/transpile-only", "scripts/render.ts", "--config", cfg, "--out", out], {
          cwd: ROOT,
          stdio: "pipe",
        });
        const profiles = Object.entries(walk(out)).filter(([p]) => p.includes("/profiles/"));
        assert.ok(profiles.length >= 10, `${cfg}: ${profiles.length} profile files`);
        for (const [p, content] of profiles) assertNoSecret(p, content, SECRETS);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
