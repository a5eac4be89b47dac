import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderProfiles } from "../../model/profiles";
import { windowsSuite } from "../lib/readback";
import { renderWindowsScript } from "../../model/profiles/windows";
import { HOSTILE_PASSWORDS, PASSWORDS, STACK, suiteAccepted, testConfig } from "./profiles-fixtures";

const SQ = "'\u2018\u2019\u201a\u201b"; // PowerShell accepts the typographic single quotes too

interface Token {
  kind: "code" | "single" | "double" | "here" | "comment";
  text: string;
}

/** A PowerShell lexer just precise enough to tell string literals from code. */
function lex(script: string): Token[] {
  const out: Token[] = [];
  let code = "";
  const flush = () => {
    if (code) out.push({ kind: "code", text: code });
    code = "";
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i];
    if (c === "@" && SQ.includes(script[i + 1]) && /\r?\n/.test(script.slice(i + 2, i + 4))) {
      flush();
      const end = script.indexOf("\n'@", i);
      assert.ok(end > 0, "unterminated here-string");
      out.push({ kind: "here", text: script.slice(i + 2, end) });
      i = end + 3;
    } else if (SQ.includes(c)) {
      flush();
      let j = i + 1;
      let value = "";
      for (;;) {
        assert.ok(j < script.length, "unterminated single-quoted string");
        if (SQ.includes(script[j])) {
          if (SQ.includes(script[j + 1])) {
            value += script[j];
            j += 2;
            continue;
          }
          break;
        }
        value += script[j++];
      }
      out.push({ kind: "single", text: value });
      i = j + 1;
    } else if (c === '"') {
      flush();
      const end = script.indexOf('"', i + 1);
      out.push({ kind: "double", text: script.slice(i + 1, end) });
      i = end + 1;
    } else if (c === "#") {
      flush();
      const end = script.indexOf("\n", i);
      out.push({ kind: "comment", text: script.slice(i, end < 0 ? undefined : end) });
      i = end < 0 ? script.length : end;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return out;
}

function script(password: string, user = "alice", hostname = "vpn.example.com"): string {
  return renderWindowsScript({ user, password, hostname });
}

/** Each variable assignment at the top: `$Name = '<literal>'`. */
function assignments(text: string): Record<string, string> {
  const tokens = lex(text);
  const out: Record<string, string> = {};
  tokens.forEach((t, i) => {
    const m = t.kind === "code" ? /\$(\w+) = $/.exec(t.text) : null;
    if (m && tokens[i + 1]?.kind === "single" && /^\r?\n/.test(tokens[i + 2]?.text ?? "")) out[m[1]] = tokens[i + 1].text;
  });
  return out;
}

describe("Windows PowerShell profile", () => {
  it("quotes hostile values so that each comes back exactly from one single-quoted literal and nowhere else", () => {
    const hostile = [...HOSTILE_PASSWORDS, "curly \u2018quotes\u2019 \u201a\u201b too"];
    for (const pw of hostile) {
      const user = "o'brien$(x)";
      const host = "vpn'.example.com";
      const text = script(pw, user, host);
      const vars = assignments(text);
      assert.equal(vars.Password, pw);
      assert.equal(vars.User, user);
      assert.equal(vars.Server, host);
      assert.equal(vars.Name, host);
      for (const t of lex(text)) {
        if (t.kind === "single") continue;
        for (const v of [pw, user, host]) assert.ok(!t.text.includes(v), `value leaked into ${t.kind}: ${t.text}`);
      }
      // Each secret is written once, as an assignment; the rest of the script uses the variable.
      assert.equal(lex(text).filter((t) => t.kind === "single" && t.text === pw).length, 1);
    }
  });

  it("never prints the password", () => {
    const text = script("Sup3r-secret!");
    for (const line of text.split("\r\n")) {
      if (/Write-(Output|Host|Warning|Verbose)|Read-Host/.test(line)) assert.doesNotMatch(line, /\$Password|Sup3r/);
    }
    assert.match(text, /^Remove-Variable Password$/m);
  });

  it("replaces an existing connection before adding it (idempotent)", () => {
    const lines = script("pw123456").split("\r\n");
    const get = lines.findIndex((l) => l.startsWith("if (Get-VpnConnection -Name $Name -ErrorAction SilentlyContinue)"));
    const remove = lines.findIndex((l) => l.trim() === "Remove-VpnConnection -Name $Name -Force");
    const add = lines.findIndex((l) => l.startsWith("Add-VpnConnection "));
    assert.ok(get >= 0 && get < remove && remove < add, "check, remove, then add");
  });

  it("adds an IKEv2 EAP connection to the hostname and pins a suite the server accepts, with documented enum values", () => {
    const text = script("pw123456");
    const add = text.split("\r\n").find((l) => l.startsWith("Add-VpnConnection "))!;
    for (const p of [
      "-Name $Name",
      "-ServerAddress $Server",
      "-TunnelType Ikev2",
      "-AuthenticationMethod Eap",
      "-EncryptionLevel Required",
      "-RememberCredential",
    ])
      assert.ok(add.includes(p), p);
    const ipsec = text.split("\r\n").find((l) => l.startsWith("Set-VpnConnectionIPsecConfiguration "))!;
    // Accepted values from Microsoft's Set-VpnConnectionIPsecConfiguration reference.
    const documented: Record<string, string[]> = {
      AuthenticationTransformConstants: ["MD596", "SHA196", "SHA256128", "GCMAES128", "GCMAES192", "GCMAES256", "None"],
      CipherTransformConstants: ["DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES192", "GCMAES256", "None"],
      EncryptionMethod: ["DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES256"],
      IntegrityCheckMethod: ["MD5", "SHA1", "SHA256", "SHA384"],
      DHGroup: ["None", "Group1", "Group2", "Group14", "ECP256", "ECP384", "Group24"],
      PfsGroup: ["None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFSMM", "PFS24"],
    };
    for (const [param, values] of Object.entries(documented)) {
      const m = new RegExp(`-${param} (\\S+)`).exec(ipsec);
      assert.ok(m, `-${param} missing`);
      assert.ok(values.includes(m[1]), `-${param} ${m[1]} is not a documented value`);
    }
    assert.match(ipsec, /-ConnectionName \$Name .* -Force$/);
    const suite = windowsSuite(text);
    assert.deepEqual(suite, { ike: "aes256-sha384-ecp384", esp: "aes256gcm16", espPfs: "aes256gcm16-ecp384" });
    assert.ok(suiteAccepted(suite), `server refuses ${JSON.stringify(suite)}`);
  });

  it("routes IPv6 into the tunnel, lowers the VPN interface metric for DNS and stores the credentials", () => {
    const text = script("pw123456");
    assert.match(
      text,
      /foreach \(\$Prefix in @\('::\/1', '8000::\/1'\)\) \{\r\n  Add-VpnConnectionRoute -ConnectionName \$Name -DestinationPrefix \$Prefix\r\n\}/,
    );
    assert.match(text, /IpInterfaceMetric\|Ipv6InterfaceMetric\)=/);
    assert.match(text, /\$Matches\[1\] \+ '=1'/);
    assert.match(text, /RasSetCredentials\(null, entry, ref c, false\)/);
    assert.match(text, /\[LinodeIkev2Vpn\.Ras\]::Store\(\$Name, \$User, \$Password\)/);
    assert.match(text, /^\$ErrorActionPreference = 'Stop'$/m);
    // Only ASCII, CRLF line ends: Windows PowerShell 5.1 reads BOM-less files as the ANSI code page.
    assert.match(text, /^[\x00-\x7f]*$/);
    assert.doesNotMatch(text.replace(/\r\n/g, ""), /[\r\n]/);
  });

  it("is rendered per user and region with that region's hostname", () => {
    const profiles = renderProfiles({ stack: STACK, config: testConfig(), passwords: PASSWORDS });
    const vars = assignments(profiles.bob["eu-central"].windows);
    assert.deepEqual(vars, { ErrorActionPreference: "Stop", Name: "de.vpn.example.com", Server: "de.vpn.example.com", User: "bob", Password: PASSWORDS.bob });
  });
});
