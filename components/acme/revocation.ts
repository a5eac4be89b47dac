// vpn:revokeOnDestroy, done as the name says: a small dynamic resource that holds the
// region's CURRENT certificate as an updatable input and revokes it only when it is
// itself deleted, i.e. when the region (or the stack) is destroyed.
//
// Why a separate resource: the AcmeCertificate's delete also runs after every renewal
// (Pulumi creates the new certificate, then deletes the old resource), and a dynamic
// provider cannot tell that from a destroy. This resource is never replaced: a renewal
// is an update of its `certPem`, so its delete means "gone for good". It depends on
// the certificate, so on destroy it runs (and revokes) before the certificate's own
// delete. Turning the option off is an update too (enabled: false), never a revocation.
//
// Like provider.ts: no imports at the top, no secrets in closures (the account key
// is an input and a secret output).
import * as pulumi from "@pulumi/pulumi";
import { revokeCertificate } from "./issue";
import { same } from "./provider";
import type { Logger, TimeoutSettings } from "./types";

export interface RevocationInputs {
  /** vpn:revokeOnDestroy. */
  enabled: boolean;
  hostname: string;
  directoryUrl: string;
  /** The ACME account that ordered the certificate (only it, or the certificate key, may revoke). Secret. */
  accountKeyPem: string;
  accountUrl: string;
  /** The certificate in use now (leaf, PEM). */
  certPem: string;
  notAfter: string;
  acmeServerCaPem?: string;
  timeouts?: TimeoutSettings;
}

export interface RevocationDeps {
  log?: Logger;
  now?: () => Date;
}

export function createRevocationProvider(deps: RevocationDeps = {}) {
  const log = deps.log ?? ((m: string) => console.error(m));
  const now = deps.now ?? (() => new Date());
  return {
    async diff(_id: string, olds: Partial<RevocationInputs>, news: RevocationInputs) {
      const keys = ["enabled", "hostname", "directoryUrl", "accountKeyPem", "accountUrl", "certPem", "notAfter", "acmeServerCaPem", "timeouts"] as const;
      const changed = keys.some((k) => !same(olds[k], news[k]));
      // Never a replacement: a replacement would delete, i.e. revoke, the current certificate.
      return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs: RevocationInputs) {
      return { id: `revocation:${inputs.hostname}`, outs: inputs };
    },
    async update(_id: string, _olds: RevocationInputs, news: RevocationInputs) {
      return { outs: news };
    },
    /** The region is being destroyed: revoke its current certificate when enabled. */
    async delete(_id: string, props: RevocationInputs): Promise<void> {
      if (!props.enabled || !props.certPem || !props.accountUrl) return;
      if (new Date(props.notAfter).getTime() <= now().getTime()) {
        log(`ACME: ${props.hostname}: certificate already expired, not revoking`);
        return;
      }
      log(`ACME: ${props.hostname}: revoking the certificate (vpn:revokeOnDestroy)`);
      await revokeCertificate(props, log);
    },
  };
}

export type RevocationProvider = ReturnType<typeof createRevocationProvider>;

export type CertificateRevocationArgs = { [K in keyof RevocationInputs]: pulumi.Input<RevocationInputs[K]> };

export class CertificateRevocation extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: CertificateRevocationArgs,
    opts: pulumi.CustomResourceOptions = {},
    provider: RevocationProvider = createRevocationProvider(),
  ) {
    super(
      provider,
      name,
      { ...args, accountKeyPem: pulumi.secret(args.accountKeyPem) },
      { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "accountKeyPem"] },
    );
  }
}
