// One VPN region: VM, routed IPv6 /64, Cloud Firewall, DNS, reverse DNS, and the
// SSH provisioning chain that turns the VM into a strongSwan server.
import * as pulumi from "@pulumi/pulumi";
import * as linode from "@pulumi/linode";
import * as tls from "@pulumi/tls";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import { normalizeRange } from "../model/addresses";
import { renderServerFiles } from "../model/server/files";
import { fileBundle, sha256, stepScripts, STEP_ORDER } from "../model/steps";
import type { CertificateMaterial, RegionSpec, VpnConfig } from "../model/types";
import { inboundRules } from "./firewall";
import { linodeLabel, relativeName } from "./naming";

/** What a region needs from its certificate (see ServerCertificate). */
export interface RegionCertificate {
  certPem: pulumi.Input<string>;
  chainPem: pulumi.Input<string>;
  keyPem: pulumi.Input<string>;
  notAfter: pulumi.Input<string>;
}

export interface VpnRegionArgs {
  config: VpnConfig;
  region: RegionSpec;
  stack: string;
  /** Every user's password (secret), configured or generated. */
  passwords: pulumi.Input<Record<string, string>>;
  /** Builds the region's certificate as a child of the region. */
  certificate: (parent: pulumi.Resource) => RegionCertificate;
}

/** How long the program keeps dialing a booting VM before giving up (about 10 minutes). */
const SSH_DIAL = { dialErrorLimit: 40, perDialTimeout: 15 };

export class VpnRegion extends pulumi.ComponentResource {
  readonly hostname: pulumi.Output<string>;
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;
  readonly ipv6Range: pulumi.Output<string>;
  readonly certificateNotAfter: pulumi.Output<string>;
  readonly certificate: RegionCertificate;
  readonly instance: linode.Instance;
  /** The remote steps, in order. */
  readonly steps: command.remote.Command[];

  constructor(name: string, args: VpnRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vpn:index:VpnRegion", name, {}, opts);
    const { config, region, stack } = args;
    const parent = { parent: this };

    const sshKey = new tls.PrivateKey(`${name}-ssh`, { algorithm: "ED25519" }, parent);
    // Linode wants a root password at deploy; nobody uses it (SSH is key-only).
    const rootPass = new random.RandomPassword(`${name}-root`, { length: 32, special: true }, parent);

    this.instance = new linode.Instance(
      `${name}-vm`,
      {
        label: linodeLabel(["vpn", stack, region.region], 64),
        region: region.region,
        type: config.instanceType,
        image: config.image,
        rootPass: rootPass.result,
        authorizedKeys: [sshKey.publicKeyOpenssh.apply((k) => k.trim())],
        tags: [linodeLabel(["vpn", stack], 50), linodeLabel(["vpn", region.region], 50)],
      },
      { ...parent, ignoreChanges: ["rootPass"] },
    );
    const instanceId = this.instance.id.apply(Number);

    // Attached through the firewall's device list, not Instance.firewallId, which would replace the VM.
    new linode.Firewall(
      `${name}-fw`,
      {
        label: linodeLabel(["vpn", stack, region.region], 32),
        inboundPolicy: "DROP",
        outboundPolicy: "ACCEPT",
        inbounds: inboundRules(config.sshAllowedCidrs),
        linodes: [instanceId],
        tags: [linodeLabel(["vpn", stack], 50)],
      },
      parent,
    );

    const range = new linode.Ipv6Range(`${name}-v6range`, { linodeId: instanceId, prefixLength: 64 }, parent);

    this.hostname = pulumi.output(region.hostname);
    this.ipv4 = this.instance.ipAddress;
    this.ipv6 = this.instance.ipv6.apply((a) => a.split("/")[0]);
    this.ipv6Range = range.range.apply(normalizeRange);

    const domain = linode.getDomainOutput({ domain: config.zone }, parent);
    const domainId = domain.apply((d) => Number(d.id));
    const recordName = relativeName(region.hostname, config.zone);
    const a = new linode.DomainRecord(`${name}-a`, { domainId, recordType: "A", name: recordName, target: this.ipv4, ttlSec: 300 }, parent);
    const aaaa = new linode.DomainRecord(`${name}-aaaa`, { domainId, recordType: "AAAA", name: recordName, target: this.ipv6, ttlSec: 300 }, parent);
    // Linode only accepts reverse DNS that resolves forward: after the records exist.
    new linode.Rdns(`${name}-rdns-v4`, { address: this.ipv4, rdns: region.hostname, waitForAvailable: true }, { ...parent, dependsOn: [a] });
    new linode.Rdns(`${name}-rdns-v6`, { address: this.ipv6, rdns: region.hostname, waitForAvailable: true }, { ...parent, dependsOn: [aaaa] });

    // The certificate needs only DNS: it is ordered while the VM boots.
    this.certificate = args.certificate(this);
    this.certificateNotAfter = pulumi.output(this.certificate.notAfter);

    const bundle = pulumi
      .all([this.ipv4, this.ipv6, this.ipv6Range, args.passwords, this.certificate.certPem, this.certificate.chainPem, this.certificate.keyPem])
      .apply(([ipv4, ipv6, ipv6Range, passwords, certPem, chainPem, keyPem]) =>
        fileBundle(
          renderServerFiles({
            config,
            region,
            addresses: { ipv4, ipv6, ipv6Range },
            passwords,
            certificate: { certPem, chainPem, keyPem } satisfies CertificateMaterial,
          }),
        ),
      );
    // The bundle holds EAP secrets and the private key; its hash goes into triggers
    // (stored in state), so it stays secret too: a hash of a weak password is guessable.
    const secretBundle = pulumi.secret(bundle);
    const bundleHash = pulumi.secret(bundle.apply(sha256));

    const connection: command.types.input.remote.ConnectionArgs = {
      host: this.ipv4,
      user: "root",
      privateKey: sshKey.privateKeyOpenssh,
      ...SSH_DIAL,
    };
    const scripts = stepScripts();
    const triggersFor: Record<(typeof STEP_ORDER)[number], pulumi.Input<any>[]> = {
      "wait-ready": [this.instance.id],
      "install-packages": [this.instance.id],
      "push-files": [this.instance.id, bundleHash],
      apply: [this.instance.id, bundleHash],
    };
    this.steps = [];
    for (const [i, step] of STEP_ORDER.entries()) {
      const carriesSecrets = step === "push-files";
      const previous = this.steps[i - 1];
      this.steps.push(
        new command.remote.Command(
          `${name}-${String(i + 1).padStart(2, "0")}-${step}`,
          {
            connection,
            create: scripts[step],
            stdin: carriesSecrets ? secretBundle : undefined,
            triggers: triggersFor[step],
            logging: carriesSecrets ? "none" : "stdoutAndStderr",
            addPreviousOutputInEnv: false,
          },
          { ...parent, dependsOn: previous ? [previous] : [range, this.instance] },
        ),
      );
    }

    this.registerOutputs({
      hostname: this.hostname,
      ipv4: this.ipv4,
      ipv6: this.ipv6,
      ipv6Range: this.ipv6Range,
      certificateNotAfter: this.certificateNotAfter,
    });
  }
}
