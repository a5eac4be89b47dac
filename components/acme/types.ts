// Data shapes shared by the ACME provider and its DNS-01 solvers. Types only: this
// module emits no code, so nothing here ends up in the serialized provider.

/** DNS-01 solver settings (no credentials: those travel in `dnsCredential`). */
export type DnsSettings = LinodeDnsSettings | Rfc2136DnsSettings;

export interface LinodeDnsSettings {
  provider: "linode";
  /** The Linode domain (zone) that holds the hostname. */
  zone: string;
  /** Linode API base URL; default https://api.linode.com/v4. */
  apiUrl?: string;
}

export interface Rfc2136DnsSettings {
  provider: "rfc2136";
  /** Zone the update is sent for (the zone section of the UPDATE message). */
  zone: string;
  /** Primary name server that accepts updates: IP address or host name. */
  server: string;
  port?: number;
  /** TSIG key name as configured on the server. */
  keyName: string;
  algorithm?: "hmac-sha256" | "hmac-sha384" | "hmac-sha512";
}

/** How to decide that every authoritative name server serves the challenge. */
export interface PropagationSettings {
  /** Resolvers ("ip" or "ip:port") used to find the zone's NS records and their addresses; default: the system's. */
  resolvers?: string[];
  /** Port queried on each authoritative server; default 53. */
  nameserverPort?: number;
  /** Give up after this many seconds; default 300. */
  timeoutSeconds?: number;
  /** Seconds between polls; default 5. */
  intervalSeconds?: number;
}

export interface TimeoutSettings {
  /** Per-HTTP-request timeout towards the ACME server, seconds; default 30. */
  requestSeconds?: number;
  /** How long to wait for the CA to validate the challenge and issue, seconds; default 120. */
  validationSeconds?: number;
  /** Per-request timeout towards the DNS provider, seconds; default 30. */
  dnsSeconds?: number;
}

/** Inputs of the AcmeCertificate dynamic resource. */
export interface AcmeCertificateInputs {
  hostname: string;
  /** PEM CSR with the hostname as CN and SAN. */
  csrPem: string;
  /** ACME directory URL (https). */
  directoryUrl: string;
  /** ACME account key, PEM (ECDSA P-256). Secret. */
  accountKeyPem: string;
  email?: string;
  /** ACME profile to request (Let's Encrypt: classic, tlsserver, shortlived). */
  profile?: string;
  /** Renew this many days before notAfter; unset or 0: the last third of the lifetime, at least 10 days. */
  renewBeforeDays?: number;
  /** Extra trusted roots (PEM) for the ACME server's HTTPS, e.g. a private ACME CA. */
  acmeServerCaPem?: string;
  dns: DnsSettings;
  /** The DNS provider credential: Linode API token or base64 TSIG secret. Secret; never copied to outputs. */
  dnsCredential: string;
  propagation?: PropagationSettings;
  timeouts?: TimeoutSettings;
}

/** Outputs: the inputs minus `dnsCredential`, plus the certificate. */
export interface AcmeCertificateOutputs extends Omit<AcmeCertificateInputs, "dnsCredential"> {
  /** Leaf certificate, PEM. */
  certPem: string;
  /** Intermediates, PEM (the chain without the leaf). */
  chainPem: string;
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  accountUrl: string;
  /** URL of the certificate at the CA (also the resource id). */
  certificateUrl: string;
}

/** A published challenge record, as the solver needs it to remove exactly that record. */
export interface PresentedRecord {
  fqdn: string;
  value: string;
  /** Solver-specific handle, e.g. the Linode record id. */
  handle?: Record<string, unknown>;
}

export interface DnsSolver {
  /** Names the DNS provider in messages, e.g. "Linode DNS" or "RFC 2136 (ns1.example.com:53)". */
  readonly name: string;
  present(fqdn: string, value: string): Promise<PresentedRecord>;
  cleanup(record: PresentedRecord): Promise<void>;
}

export type Logger = (message: string) => void;
