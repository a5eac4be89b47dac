// The Pulumi resource around the ACME provider. Its type token is Pulumi's default
// for dynamic resources, pulumi-nodejs:dynamic:Resource (changing it later would
// replace every certificate).
import * as pulumi from "@pulumi/pulumi";
import { AcmeCertificateProvider, acmeCertificateProvider } from "./provider";
import type { AcmeCertificateInputs } from "./types";

export type AcmeCertificateArgs = { [K in keyof AcmeCertificateInputs]: pulumi.Input<AcmeCertificateInputs[K]> };

/** Outputs that carry key material. */
const SECRET_OUTPUTS = ["accountKeyPem"];

export class AcmeCertificate extends pulumi.dynamic.Resource {
  declare readonly certPem: pulumi.Output<string>;
  declare readonly chainPem: pulumi.Output<string>;
  declare readonly notBefore: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;
  declare readonly accountUrl: pulumi.Output<string>;
  declare readonly certificateUrl: pulumi.Output<string>;

  constructor(name: string, args: AcmeCertificateArgs, opts: pulumi.CustomResourceOptions = {}, provider: AcmeCertificateProvider = acmeCertificateProvider) {
    const outputs = { certPem: undefined, chainPem: undefined, notBefore: undefined, notAfter: undefined, accountUrl: undefined, certificateUrl: undefined };
    super(provider, name, { ...outputs, ...args }, { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...SECRET_OUTPUTS] });
  }
}
