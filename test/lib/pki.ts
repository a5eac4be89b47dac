// A throwaway CA shaped like a public one (root -> intermediate -> leaf), made
// with the openssl CLI: the leaf carries the hostname as SAN and the serverAuth
// EKU, the intermediate is what the server sends along (its "chain"), and
// clients trust only the root, as a device trusts Let's Encrypt's root.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "./exec";

export interface TestPki {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
  /** renderRegion()'s `certificate` input: leaf, intermediates, key. */
  certificate: { certPem: string; chainPem: string; keyPem: string };
}

export type KeyType = "rsa" | "ecdsa";

const DAYS = "7";

function keyArgs(keyType: KeyType): string[] {
  return keyType === "rsa" ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
}

/** Creates the CA and a leaf for `hostname` under `dir` (a private scratch directory). */
export async function createPki(dir: string, hostname: string, keyType: KeyType = "rsa"): Promise<TestPki> {
  mkdirSync(dir, { recursive: true });
  const p = (name: string) => join(dir, name);
  const ssl = (args: string[]) => runOk(["openssl", ...args], { timeoutMs: 60_000 });

  writeFileSync(p("root.ext"), ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash", ""].join("\n"));
  writeFileSync(
    p("int.ext"),
    [
      "basicConstraints=critical,CA:TRUE,pathlen:0",
      "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
      "extendedKeyUsage=serverAuth,clientAuth",
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid:always",
      "",
    ].join("\n"),
  );
  writeFileSync(
    p("leaf.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      `keyUsage=critical,digitalSignature${keyType === "rsa" ? ",keyEncipherment" : ""}`,
      "extendedKeyUsage=serverAuth",
      `subjectAltName=DNS:${hostname}`,
      "subjectKeyIdentifier=hash",
      "authorityKeyIdentifier=keyid:always",
      "",
    ].join("\n"),
  );

  await ssl([
    "req",
    "-x509",
    ...keyArgs(keyType),
    "-nodes",
    "-keyout",
    p("root.key"),
    "-out",
    p("root.pem"),
    "-days",
    DAYS,
    "-subj",
    "/C=XX/O=Throwaway Test CA/CN=Throwaway Test Root X1",
    "-extensions",
    "v3_root",
    "-config",
    writeReqConfig(p("root.cnf"), p("root.ext")),
  ]);
  await ssl([
    "req",
    "-new",
    ...keyArgs(keyType),
    "-nodes",
    "-keyout",
    p("int.key"),
    "-out",
    p("int.csr"),
    "-subj",
    "/C=XX/O=Throwaway Test CA/CN=Throwaway Test R1",
  ]);
  await ssl([
    "x509",
    "-req",
    "-in",
    p("int.csr"),
    "-CA",
    p("root.pem"),
    "-CAkey",
    p("root.key"),
    "-set_serial",
    serial(),
    "-days",
    DAYS,
    "-extfile",
    p("int.ext"),
    "-out",
    p("int.pem"),
  ]);
  await ssl(["req", "-new", ...keyArgs(keyType), "-nodes", "-keyout", p("leaf.key"), "-out", p("leaf.csr"), "-subj", `/CN=${hostname}`]);
  await ssl([
    "x509",
    "-req",
    "-in",
    p("leaf.csr"),
    "-CA",
    p("int.pem"),
    "-CAkey",
    p("int.key"),
    "-set_serial",
    serial(),
    "-days",
    DAYS,
    "-extfile",
    p("leaf.ext"),
    "-out",
    p("leaf.pem"),
  ]);

  const read = (name: string) => readFileSync(p(name), "utf8");
  const pki = { rootPem: read("root.pem"), intermediatePem: read("int.pem"), leafPem: read("leaf.pem"), leafKeyPem: read("leaf.key") };
  return { ...pki, certificate: { certPem: pki.leafPem, chainPem: pki.intermediatePem, keyPem: pki.leafKeyPem } };
}

/** `req -x509` reads extensions from a config section; wrap the extension lines into one. */
function writeReqConfig(path: string, extFile: string): string {
  const ext = readFileSync(extFile, "utf8");
  writeFileSync(path, `[req]\ndistinguished_name = dn\n[dn]\n[v3_root]\n${ext}`);
  return path;
}

function serial(): string {
  return `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, "0")}`;
}
