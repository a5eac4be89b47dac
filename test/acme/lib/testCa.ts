// A throwaway CA and a localhost server certificate for the loopback HTTPS servers
// of the tier (pebble's ACME and management listeners, the ACME double). Debian's
// pebble ships no certificates.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./procs";

export interface TestCa {
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export async function makeTestCa(dir: string): Promise<TestCa> {
  const p = (f: string) => join(dir, f);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=acme tier test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run("openssl", ["req", "-new", ...ec, "-keyout", p("localhost.key"), "-out", p("localhost.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(p("localhost.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    p("localhost.csr"),
    "-CA",
    p("ca.pem"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    p("localhost.pem"),
    "-extfile",
    p("localhost.ext"),
  ]);
  return { caPem: readFileSync(p("ca.pem"), "utf8"), caFile: p("ca.pem"), certFile: p("localhost.pem"), keyFile: p("localhost.key") };
}
