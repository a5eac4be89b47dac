// Signs an Apple profile as CMS/PKCS#7 SignedData (DER, content attached) with the
// server's certificate, so devices show it as "Verified". Deterministic on purpose:
// no signingTime attribute and RSA PKCS#1 v1.5 (itself deterministic), so the signature
// changes only when the profile or the certificate does and never churns stack outputs.
import * as forge from "node-forge";
import { splitPem } from "../server/files";

export interface SigningMaterial {
  certPem: string;
  /** Intermediates, PEM (may hold several). */
  chainPem: string;
  keyPem: string;
}

/**
 * Returns the signed profile as DER, or undefined when the key is not RSA (node-forge
 * signs with RSA only; the project's ACME certificates use RSA keys for client support).
 */
export function signAppleProfile(profileXml: string, material: SigningMaterial): Buffer | undefined {
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(material.keyPem);
  } catch {
    return undefined;
  }
  const leaf = forge.pki.certificateFromPem(material.certPem);
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(Buffer.from(profileXml, "utf8").toString("binary"));
  p7.addCertificate(leaf);
  for (const pem of splitPem(material.chainPem)) p7.addCertificate(forge.pki.certificateFromPem(pem));
  p7.addSigner({
    key,
    certificate: leaf,
    digestAlgorithm: forge.pki.oids.sha256,
    authenticatedAttributes: [{ type: forge.pki.oids.contentType, value: forge.pki.oids.data }, { type: forge.pki.oids.messageDigest }],
  });
  p7.sign();
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
}
