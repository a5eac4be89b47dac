// One VPN region: VM, routed IPv6 /64, Cloud Firewall, DNS, reverse DNS, and the
// SSH provisioning chain that turns the VM into a strongSwan server.
import * as pulumi from "@pulumi/pulumi";
import * as linode from "@pulumi/linode";
import * as tls from "@pulumi/tls";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import { normalizeRange } from "../model/addresses";
import { renderServerFiles } from "../model/server/files";
import { aaaEnabled } from "../model/server/aaa";
import { fileBundle, sha256, stepScripts, STEP_ORDER } from "../model/steps";
import type { CertificateMaterial, RegionSpec, VpnConfig } from "../model/types";
import { firstBootUserData } from "../model/firstBoot";
import { inboundRules } from "./firewall";
import { generatedHostKey, recordHostKeyOnFirstUse } from "./hostKey";
import { HostnameGuard } from "./hostnameGuard";
import { firewallLabel, instanceLabel, legacyInstanceLabel, linodeTag, relativeName } from "./naming";
import { DowntimeNotice } from "./replacementNotice";

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
  /** Builds the region's certificate as a child of the region; its CA order waits for `dependsOn`. */
  certificate: (parent: pulumi.Resource, dependsOn: pulumi.Resource[]) => RegionCertificate;
  /** The region's capabilities as the Linode API reports them (config/regions.ts): `Metadata` decides how the host key is pinned. */
  capabilities: string[];
  /** The image's capabilities as the Linode API reports them: user data needs `cloud-init`. */
  imageCapabilities: string[];
  /** Linode API access for the pre-flight check of the hostname's existing records (see HostnameGuard). */
  linodeApi?: { token: pulumi.Input<string>; url?: string };
  /** Pulumi project name (part of the labels' hash); default pulumi.getProject(). */
  project?: string;
}

/** How long reverse DNS may keep retrying (the provider waits 15 minutes by default). */
const RDNS_TIMEOUT = "45m";

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
  /** The SSH host key every step pins, "ssh-ed25519 AAAA..." (see hostKey.ts). */
  readonly hostKey: pulumi.Output<string>;
  /** The SSH client key (OpenSSH private key, secret) the steps log in with as root. */
  readonly sshPrivateKey: pulumi.Output<string>;
  /** The remote steps, in order. */
  readonly steps: command.remote.Command[];

  constructor(name: string, args: VpnRegionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vpn:index:VpnRegion", name, {}, opts);
    const { config, region, stack } = args;
    const parent = { parent: this };
    // Labels are unique per account: a hash of (project, stack, region) keeps two
    // projects' `dev` stacks apart (see naming.ts).
    const identity = { project: args.project ?? pulumi.getProject(), stack, region: region.region };

    const sshKey = new tls.PrivateKey(`${name}-ssh`, { algorithm: "ED25519" }, parent);
    // Linode wants a root password at deploy; nobody uses it (SSH is key-only).
    const rootPass = new random.RandomPassword(`${name}-root`, { length: 32, special: true }, parent);
    this.sshPrivateKey = sshKey.privateKeyOpenssh;
    // The server's SSH host key (hostKey.ts): generated and handed over at first boot
    // where the region has Linode Metadata, else trusted on first use, said here in preview.
    const userData = firstBootUserData(region.region, args.capabilities, config.image, args.imageCapabilities);
    const generated = userData.ok ? generatedHostKey(name, this) : undefined;
    if (!userData.ok) {
      pulumi.log.warn(
        `region ${region.region}: ${userData.why}, so the SSH host key cannot be handed to the VM at first boot; it is trusted on first use (recorded on the first connection, which sends nothing secret, and pinned for every later step)`,
        this,
      );
    }

    const domain = linode.getDomainOutput({ domain: config.zone }, parent);
    const domainId = domain.apply((d) => Number(d.id));
    const recordName = relativeName(region.hostname, config.zone);
    // Before anything is made in Linode or at the CA: fail if the zone already has A/AAAA
    // records for the hostname that this stack did not make (checked in preview, and in an
    // `up --skip-preview` before the VM; see hostnameGuard.ts). This stack's own VM is
    // recognised by its labels, the current one and the one before the hashed scheme.
    const guard = args.linodeApi
      ? [
          new HostnameGuard(
            `${name}-hostname-guard`,
            {
              hostname: region.hostname,
              zone: config.zone,
              recordName,
              domainId,
              token: args.linodeApi.token,
              ownLabels: [instanceLabel(identity), legacyInstanceLabel(stack, region.region)],
              ...(args.linodeApi.url ? { apiUrl: args.linodeApi.url } : {}),
            },
            parent,
          ),
        ]
      : [];

    this.instance = new linode.Instance(
      `${name}-vm`,
      {
        label: instanceLabel(identity),
        region: region.region,
        type: config.instanceType,
        image: config.image,
        rootPass: rootPass.result,
        authorizedKeys: [sshKey.publicKeyOpenssh.apply((k) => k.trim())],
        // Read by cloud-init at first boot only; a change replaces the VM (ForceNew in the provider).
        metadatas: generated?.metadatas,
        tags: [linodeTag(["vpn", stack]), linodeTag(["vpn", region.region])],
      },
      // A new VM (new image, ...) must replace the old one in one `up`: Linode refuses a
      // second Linode with the same label, so the old one goes first (pulumi-linode
      // issue 882). DowntimeNotice says so in the preview.
      { ...parent, ignoreChanges: ["rootPass"], deleteBeforeReplace: true, additionalSecretOutputs: ["metadatas"], dependsOn: guard },
    );
    const instanceId = this.instance.id.apply(Number);

    // Attached through the firewall's device list, not Instance.firewallId, which would replace the VM.
    const firewall = new linode.Firewall(
      `${name}-fw`,
      {
        label: firewallLabel(identity),
        inboundPolicy: "DROP",
        outboundPolicy: "ACCEPT",
        inbounds: inboundRules(config.sshAllowedCidrs, { shareLinks: config.shareLinks }),
        linodes: [instanceId],
        tags: [linodeTag(["vpn", stack])],
      },
      parent,
    );

    // The range belongs to one VM: a new VM gets a new range, the old one goes first. The
    // provider would instead reassign it in place (linode_id is updatable), which fails
    // once the old VM and its range are gone; deleting an absent range is fine (404 ignored).
    const range = new linode.Ipv6Range(
      `${name}-v6range`,
      { linodeId: instanceId, prefixLength: 64 },
      { ...parent, deleteBeforeReplace: true, replaceOnChanges: ["linodeId"] },
    );

    this.hostname = pulumi.output(region.hostname);
    this.ipv4 = this.instance.ipAddress;
    this.ipv6 = this.instance.ipv6.apply((a) => a.split("/")[0]);
    this.ipv6Range = range.range.apply(normalizeRange);

    const a = new linode.DomainRecord(
      `${name}-a`,
      { domainId, recordType: "A", name: recordName, target: this.ipv4, ttlSec: 300 },
      { ...parent, dependsOn: guard },
    );
    const aaaa = new linode.DomainRecord(
      `${name}-aaaa`,
      { domainId, recordType: "AAAA", name: recordName, target: this.ipv6, ttlSec: 300 },
      { ...parent, dependsOn: guard },
    );

    // The certificate needs only DNS: it is ordered while the VM boots (after the guard).
    this.certificate = args.certificate(this, guard);
    this.certificateNotAfter = pulumi.output(this.certificate.notAfter);

    // The shared secret between charon and the local FreeRADIUS (model/server/aaa.ts),
    // one per region; only stacks that use the user lifecycle have it.
    const aaa = aaaEnabled(config);
    const radiusSecret = aaa ? new random.RandomPassword(`${name}-radius-secret`, { length: 40, special: false }, parent).result : pulumi.output(undefined);
    const bundle = pulumi
      .all([this.ipv4, this.ipv6, this.ipv6Range, args.passwords, this.certificate.certPem, this.certificate.chainPem, this.certificate.keyPem, radiusSecret])
      .apply(([ipv4, ipv6, ipv6Range, passwords, certPem, chainPem, keyPem, secret]) =>
        fileBundle(
          renderServerFiles({
            config,
            region,
            addresses: { ipv4, ipv6, ipv6Range },
            passwords,
            certificate: { certPem, chainPem, keyPem } satisfies CertificateMaterial,
            radiusSecret: secret,
          }),
        ),
      );
    // The bundle holds EAP secrets and the private key; its hash goes into triggers
    // (stored in state), so it stays secret too: a hash of a weak password is guessable.
    const secretBundle = pulumi.secret(bundle);
    const bundleHash = pulumi.secret(bundle.apply(sha256));

    const firstContact: command.types.input.remote.ConnectionArgs = {
      host: this.ipv4,
      user: "root",
      privateKey: sshKey.privateKeyOpenssh,
      ...SSH_DIAL,
    };
    // Without Metadata: one unpinned step records the host key before anything else runs.
    const recorded = generated
      ? undefined
      : recordHostKeyOnFirstUse(name, { connection: firstContact, triggers: [this.instance.id], dependsOn: [range, this.instance, firewall] }, this);
    this.hostKey = generated ? generated.hostKey : recorded!.hostKey;
    const connection: command.types.input.remote.ConnectionArgs = { ...firstContact, hostKey: this.hostKey };
    const scripts = stepScripts({ aaa, shareLinks: config.shareLinks });
    const triggersFor: Record<(typeof STEP_ORDER)[number], pulumi.Input<string>[]> = {
      "wait-ready": [this.instance.id],
      "install-packages": [this.instance.id],
      "push-files": [this.instance.id, bundleHash],
      apply: [this.instance.id, bundleHash],
    };
    new DowntimeNotice(
      `${name}-server-downtime`,
      {
        name: region.region,
        hostname: region.hostname,
        server: {
          region: region.region,
          image: config.image,
          instanceType: config.instanceType,
          sshPublicKey: sshKey.publicKeyOpenssh.apply((k) => k.trim()),
          hostKey: generated ? generated.hostKey : "",
        },
      },
      parent,
    );
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
          // The first step waits for the Cloud Firewall too: a narrowed vpn:sshAllowedCidrs
          // takes effect before any SSH session starts, never in the middle of one.
          { ...parent, dependsOn: previous ? [previous] : [range, this.instance, firewall, ...(recorded ? [recorded.step] : [])] },
        ),
      );
    }

    // Reverse DNS after the package install: Linode only accepts a name that resolves
    // forward to the address, and a lookup made before the record reached Linode's name
    // servers can be cached as a failure. By the end of the install (the longest step)
    // the records have existed for a minute or more. With waitForAvailable the provider's
    // first attempt comes only after a 5 s tick, then every 5 s up to RDNS_TIMEOUT
    // (rdns/framework_helper.go), so it runs beside push-files and apply instead of
    // adding those 5 s after them. The VPN works without it.
    const installStep = this.steps[STEP_ORDER.indexOf("install-packages")];
    const rdnsOpts = (record: pulumi.Resource): pulumi.CustomResourceOptions => ({
      ...parent,
      dependsOn: [record, installStep],
      deleteBeforeReplace: true,
    });
    // linode_rdns is a Plugin Framework resource: it reads its create/update timeout from
    // its own `timeouts` attribute (framework_resource.go: plan.Timeouts.Create(ctx, 15m));
    // the bridge does not map the customTimeouts option onto it (pulumi-terraform-bridge
    // issue 827), so the timeout goes in as an input.
    const timeouts = { create: RDNS_TIMEOUT, update: RDNS_TIMEOUT };
    new linode.Rdns(`${name}-rdns-v4`, { address: this.ipv4, rdns: region.hostname, waitForAvailable: true, timeouts }, rdnsOpts(a));
    new linode.Rdns(`${name}-rdns-v6`, { address: this.ipv6, rdns: region.hostname, waitForAvailable: true, timeouts }, rdnsOpts(aaaa));

    this.registerOutputs({
      hostname: this.hostname,
      ipv4: this.ipv4,
      ipv6: this.ipv6,
      ipv6Range: this.ipv6Range,
      certificateNotAfter: this.certificateNotAfter,
    });
  }
}
