// A region's server certificate: RSA key and CSR from @pulumi/tls, issued by an
// ACME CA (Let's Encrypt) through DNS-01. Renewal happens in `pulumi up` once the
// certificate is inside its renewal window (see the README, "The server certificate").
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { VpnConfig } from "../model/types";
import { AcmeCertificate } from "./acme/resource";
import { CertificateRevocation } from "./acme/revocation";
import type { DnsSettings, PropagationSettings, TimeoutSettings } from "./acme/types";

export interface ServerCertificateArgs {
  /** The CA order (and its TXT record) waits for these, e.g. the hostname check. */
  orderAfter?: pulumi.Resource[];
  hostname: string;
  zone: string;
  acme: VpnConfig["acme"];
  /** Linode API token (secret); needed for dnsProvider linode. */
  linodeToken?: pulumi.Input<string>;
  /** Linode API base URL (tests: a loopback double). Default https://api.linode.com/v4. */
  linodeApiUrl?: string;
  /** RSA size of the certificate key. RSA because Apple and Windows IKEv2 clients have trouble with ECDSA server certificates. */
  keyBits?: 2048 | 3072;
  /** Extra roots for the ACME server's HTTPS (a private ACME CA). */
  acmeServerCaPem?: string;
  propagation?: PropagationSettings;
  timeouts?: TimeoutSettings;
}

/** Linode's provider config `linode:url` may be the bare host; the API lives under /v4. */
export function linodeApiBase(url?: string): string | undefined {
  if (!url) return undefined;
  const trimmed = url.replace(/\/+$/, "");
  return /^https?:\/\/[^/]+$/.test(trimmed) ? `${trimmed}/v4` : trimmed;
}

function dnsSettings(args: ServerCertificateArgs): { dns: DnsSettings; credential: pulumi.Input<string> } {
  const { acme } = args;
  if (acme.dnsProvider === "rfc2136") {
    if (!acme.rfc2136 || !acme.rfc2136Secret) throw new Error("ServerCertificate: vpn:dnsProvider rfc2136 needs vpn:rfc2136 and vpn:rfc2136Secret");
    const { server, port, keyName, algorithm } = acme.rfc2136;
    return { dns: { provider: "rfc2136", zone: args.zone, server, port, keyName, algorithm }, credential: acme.rfc2136Secret };
  }
  if (args.linodeToken === undefined) throw new Error("ServerCertificate: vpn:dnsProvider linode needs the Linode API token (linode:token or LINODE_TOKEN)");
  const apiUrl = linodeApiBase(args.linodeApiUrl);
  return { dns: { provider: "linode", zone: args.zone, ...(apiUrl ? { apiUrl } : {}) }, credential: args.linodeToken };
}

export class ServerCertificate extends pulumi.ComponentResource {
  readonly certPem: pulumi.Output<string>;
  readonly chainPem: pulumi.Output<string>;
  /** The certificate's private key, PEM (secret). */
  readonly keyPem: pulumi.Output<string>;
  /** ISO 8601. */
  readonly notAfter: pulumi.Output<string>;
  readonly accountUrl: pulumi.Output<string>;

  constructor(name: string, args: ServerCertificateArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("vpn:index:ServerCertificate", name, {}, opts);
    const { dns, credential } = dnsSettings(args);
    const accountKey = new tls.PrivateKey(`${name}-account-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: args.keyBits ?? 2048 }, { parent: this });
    const csr = new tls.CertRequest(
      `${name}-csr`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: args.hostname }, dnsNames: [args.hostname] },
      { parent: this },
    );
    const acme = args.acme;
    const cert = new AcmeCertificate(
      `${name}-acme`,
      {
        hostname: args.hostname,
        csrPem: csr.certRequestPem,
        directoryUrl: acme.directoryUrl,
        // Explicitly secret (not only through @pulumi/tls) so the input stays secret wherever it flows.
        accountKeyPem: pulumi.secret(accountKey.privateKeyPem),
        ...(acme.email ? { email: acme.email } : {}),
        ...(acme.profile ? { profile: acme.profile } : {}),
        ...(acme.renewBeforeDays !== undefined ? { renewBeforeDays: acme.renewBeforeDays } : {}),
        ...(args.acmeServerCaPem ? { acmeServerCaPem: args.acmeServerCaPem } : {}),
        dns,
        dnsCredential: pulumi.secret(credential),
        ...(args.propagation ? { propagation: args.propagation } : {}),
        ...(args.timeouts ? { timeouts: args.timeouts } : {}),
      },
      { parent: this, dependsOn: args.orderAfter ?? [] },
    );
    // vpn:revokeOnDestroy: revokes the current certificate when the region is destroyed,
    // never on renewal (see acme/revocation.ts). Always present, so switching the option
    // is an update and never itself a deletion.
    new CertificateRevocation(
      `${name}-revocation`,
      {
        enabled: acme.revokeOnDestroy,
        hostname: args.hostname,
        directoryUrl: acme.directoryUrl,
        accountKeyPem: accountKey.privateKeyPem,
        accountUrl: cert.accountUrl,
        certPem: cert.certPem,
        notAfter: cert.notAfter,
        ...(args.acmeServerCaPem ? { acmeServerCaPem: args.acmeServerCaPem } : {}),
        ...(args.timeouts ? { timeouts: args.timeouts } : {}),
      },
      { parent: this },
    );
    this.certPem = cert.certPem;
    this.chainPem = cert.chainPem;
    this.keyPem = pulumi.secret(key.privateKeyPem);
    this.notAfter = cert.notAfter;
    this.accountUrl = cert.accountUrl;
    this.registerOutputs({ certPem: this.certPem, chainPem: this.chainPem, keyPem: this.keyPem, notAfter: this.notAfter, accountUrl: this.accountUrl });
  }
}
