// Keys and CSRs shaped like the ones @pulumi/tls produces for ServerCertificate:
// an RSA certificate key with a CSR (hostname as CN and SAN), and an ECDSA P-256
// account key in SEC1 PEM ("EC PRIVATE KEY").
import * as acme from "acme-client";
import { createPrivateKey } from "node:crypto";

export async function accountKeyPem(): Promise<string> {
  const pkcs8 = await acme.crypto.createPrivateEcdsaKey("P-256");
  return createPrivateKey(pkcs8).export({ type: "sec1", format: "pem" }).toString();
}

export interface CertKey {
  keyPem: string;
  csrPem: string;
}

export async function certKeyAndCsr(hostname: string, bits = 2048): Promise<CertKey> {
  const key = await acme.crypto.createPrivateRsaKey(bits);
  const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, key);
  return { keyPem: key.toString(), csrPem: csr.toString() };
}
