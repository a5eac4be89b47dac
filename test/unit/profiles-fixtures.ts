// Shared fixtures for the profile tests: a config, independent parsers (Python's plistlib
// and configparser), a throwaway RSA CA made with the openssl CLI, and the server-side
// acceptance check for a suite read back from a rendered profile.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReadSuite } from "../lib/readback";
import { Algo, DH, ENCR, INTEG, PRF, serverEspProposals, serverIkeProposals } from "../../model/proposals";
import type { Compat, VpnConfig } from "../../model/types";

export const STACK = "dev";

export function testConfig(over: Partial<VpnConfig> = {}): VpnConfig {
  return {
    zone: "example.com",
    regions: [
      { region: "us-ord", hostname: "vpn.example.com" },
      { region: "eu-central", hostname: "de.vpn.example.com" },
    ],
    instanceType: "g6-nanode-1",
    image: "linode/debian12",
    users: [{ name: "alice" }, { name: "bob", staticIpv4: "10.47.83.50" }],
    passwords: {},
    sshAllowedCidrs: ["0.0.0.0/0", "::/0"],
    dnsServers: ["9.9.9.9", "2620:fe::fe"],
    poolV4: "10.47.83.0/24",
    compat: "modern",
    uniqueIds: "never",
    acme: { directoryUrl: "https://acme.invalid/directory", revokeOnDestroy: false, dnsProvider: "linode" },
    onDemand: "off",
    trustedSsids: [],
    appleKillSwitch: false,
    clientToClient: false,
    maintenanceWindow: "04:00",
    ...over,
  };
}

export const PASSWORDS: Record<string, string> = { alice: "correct horse battery", bob: "s3cret-Passw0rd" };

/** Passwords that break naive quoting in each of our formats (all printable ASCII, as validation allows). */
export const HOSTILE_PASSWORDS = [
  `'; Remove-Item -Recurse C:\\ ; '`,
  `"$(Invoke-Expression 'calc')" \`n $env:USERNAME`,
  `]]></string><key>x</key><string>&amp;<!--`,
  `back\\slash\\ "quote" #hash ;semi 0x41 0sQQ==`,
  `@'\n'@`.replace("\n", " "),
];

function python(code: string, input: string | Buffer): string {
  return execFileSync("python3", ["-c", code], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** Python's plistlib: an independent plist parser. */
export function parsePlist(xml: string | Buffer): any {
  return JSON.parse(python("import json,plistlib,sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))", xml));
}

/** Python's configparser (no interpolation, case kept): an independent INI parser. Values still carry GLib escapes. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const code = [
    "import configparser,json,sys",
    "p = configparser.ConfigParser(interpolation=None, strict=True, delimiters=('=',), comment_prefixes=('#',), empty_lines_in_values=False)",
    "p.optionxform = str",
    "p.read_string(sys.stdin.read())",
    "print(json.dumps({s: dict(p[s]) for s in p.sections()}))",
  ].join("\n");
  return JSON.parse(python(code, text));
}

/** GLib key-file string unescaping (\s \n \t \r \\). */
export function glibUnescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => ({ s: " ", n: "\n", t: "\t", r: "\r", "\\": "\\" })[c] ?? `\\${c}`);
}

export interface TestCa {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
}

/** root -> intermediate -> leaf (RSA 2048, leaf for `hostname` with serverAuth like an ACME certificate). */
export function makeTestCa(hostname: string, keyAlgorithm: "rsa" | "ec" = "rsa"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "profiles-ca-"));
  try {
    const ossl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const key = (name: string) =>
      keyAlgorithm === "rsa"
        ? ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name)
        : ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
    writeFileSync(
      join(dir, "ca.ext"),
      "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    );
    writeFileSync(
      join(dir, "leaf.ext"),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${hostname}\n`,
    );
    key("root.key");
    ossl(
      "req",
      "-x509",
      "-new",
      "-key",
      "root.key",
      "-subj",
      "/CN=Profiles Test Root",
      "-days",
      "3650",
      "-out",
      "root.pem",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
    key("int.key");
    ossl("req", "-new", "-key", "int.key", "-subj", "/CN=Profiles Test Intermediate", "-out", "int.csr");
    ossl(
      "x509",
      "-req",
      "-in",
      "int.csr",
      "-CA",
      "root.pem",
      "-CAkey",
      "root.key",
      "-set_serial",
      "2",
      "-days",
      "3650",
      "-extfile",
      "ca.ext",
      "-out",
      "int.pem",
    );
    key("leaf.key");
    ossl("req", "-new", "-key", "leaf.key", "-subj", `/CN=${hostname}`, "-out", "leaf.csr");
    ossl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "int.pem",
      "-CAkey",
      "int.key",
      "-set_serial",
      "3",
      "-days",
      "90",
      "-extfile",
      "leaf.ext",
      "-out",
      "leaf.pem",
    );
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    return { rootPem: read("root.pem"), intermediatePem: read("int.pem"), leafPem: read("leaf.pem"), leafKeyPem: read("leaf.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CATEGORIES = { encr: ENCR, integ: INTEG, prf: PRF, dh: DH } as const;
type Category = keyof typeof CATEGORIES;

function categorise(proposal: string): Record<Category, string[]> {
  const out: Record<Category, string[]> = { encr: [], integ: [], prf: [], dh: [] };
  for (const token of proposal.split("-")) {
    const cat = (Object.keys(CATEGORIES) as Category[]).find((c) => Object.values(CATEGORIES[c] as Record<string, Algo>).some((a) => a.swan === token));
    if (!cat) throw new Error(`unknown algorithm ${token} in ${proposal}`);
    out[cat].push(token);
  }
  // strongSwan derives the PRF from the integrity algorithm when none is given.
  if (out.prf.length === 0) out.prf = out.integ.map((i) => `prf${i}`);
  return out;
}

/** True when some server proposal contains every transform of `client`, type by type (a type absent on one side must be absent on the other). */
export function serverAccepts(serverProposals: string[], client: string): boolean {
  const c = categorise(client);
  return serverProposals.some((p) => {
    const s = categorise(p);
    return (Object.keys(c) as Category[]).every((k) => (c[k].length === 0 ? s[k].length === 0 : c[k].every((t) => s[k].includes(t))));
  });
}

/** Asserts the server (in `compat` mode) accepts IKE, the first CHILD_SA and, with PFS, the rekey. */
export function suiteAccepted(suite: ReadSuite, compat: Compat = "modern"): boolean {
  const esp = serverEspProposals(compat);
  return (
    serverAccepts(serverIkeProposals(compat), suite.ike) && serverAccepts(esp, suite.esp) && (suite.espPfs === undefined || serverAccepts(esp, suite.espPfs))
  );
}
