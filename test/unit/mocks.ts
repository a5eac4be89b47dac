// Runs a Pulumi program under pulumi.runtime.setMocks and records every resource:
// the inputs the engine receives, which of them are secret, and what each depends
// on. No Pulumi CLI, no provider plugins, no network.
import * as pulumi from "@pulumi/pulumi";
import { createHash, generateKeyPairSync } from "node:crypto";
import * as forge from "node-forge";
import { RECORD_HOST_KEY_SCRIPT } from "../../model/server/cloudInit";

export interface Recorded {
  type: string;
  name: string;
  /** Inputs as sent to the engine (secrets unwrapped, so tests can compare them). */
  inputs: Record<string, any>;
  /** Top-level input names whose value (or a part of it) is secret. */
  secretInputs: string[];
  /** Names of explicit dependsOn resources. */
  dependsOn: string[];
  parent?: string;
}

export interface ProgramRun {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  /** Invokes (data sources) by token. */
  calls: string[];
  ofType(type: string): Recorded[];
  byName(name: string): Recorded;
}

const h = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * One real RSA key and a certificate for it, made once per process, so that code
 * which really uses key material under mocks (signing Apple profiles) works, and two
 * runs in one process still see identical values.
 */
let material: { keyPem: string; certPem: string } | undefined;
export function mockCertificateMaterial(): { keyPem: string; certPem: string } {
  if (!material) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const key = forge.pki.privateKeyFromPem(keyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = "01";
    cert.validity.notBefore = new Date("2026-12-01T00:00:00Z");
    cert.validity.notAfter = new Date("2027-03-01T00:00:00Z");
    cert.setSubject([{ name: "commonName", value: "mock.example.com" }]);
    cert.setIssuer([{ name: "commonName", value: "mock.example.com" }]);
    cert.sign(key, forge.md.sha256.create());
    material = { keyPem, certPem: forge.pki.certificateToPem(cert) };
  }
  return material;
}

/** Plausible provider outputs, derived from the resource name so runs are reproducible. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const n = parseInt(h(name).slice(0, 2), 16);
  switch (type) {
    case "linode:index/instance:Instance":
      return { ...inputs, ipAddress: `203.0.113.${n % 250}`, ipv6: `2001:db8:${n.toString(16)}::${n.toString(16)}/128`, status: "running" };
    case "linode:index/ipv6Range:Ipv6Range":
      return { ...inputs, range: `2001:db8:beef:${n.toString(16)}::` };
    case "tls:index/privateKey:PrivateKey":
      if (inputs.algorithm === "RSA") return { ...inputs, privateKeyPem: mockCertificateMaterial().keyPem, privateKeyOpenssh: "", publicKeyOpenssh: "" };
      return {
        ...inputs,
        publicKeyOpenssh: `ssh-ed25519 AAAAMOCK${h(name).slice(0, 16)} \n`,
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\nMOCKSECRET${h(name)}\n-----END OPENSSH PRIVATE KEY-----\n`,
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\nMOCKSECRET${h(name)}\n-----END PRIVATE KEY-----\n`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\nMOCK${h(name).slice(0, 16)}\n-----END PUBLIC KEY-----\n`,
      };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nMOCK${h(name).slice(0, 16)}\n-----END CERTIFICATE REQUEST-----\n` };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `MockPw${h(name).slice(0, 22)}` };
    case "pulumi-nodejs:dynamic:Resource":
      return {
        ...inputs,
        certPem: mockCertificateMaterial().certPem,
        chainPem: mockCertificateMaterial().certPem,
        notAfter: "2027-03-01T00:00:00.000Z",
        notBefore: "2026-12-01T00:00:00.000Z",
        accountUrl: "https://acme.invalid/acct/1",
      };
    case "command:remote:Command":
      // The trust-on-first-use step prints the host key (comment and newline included, as `cut` would not strip them).
      if (inputs.create === RECORD_HOST_KEY_SCRIPT) return { ...inputs, stdout: `ssh-ed25519 AAAATOFU${h(name).slice(0, 16)} root@localhost\n`, stderr: "" };
      return { ...inputs, stdout: "", stderr: "" };
    default:
      return inputs;
  }
}

/** The engine's marker for a secret value inside resource inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Returns the value with secret markers removed, and whether any were found. */
function unwrapSecrets(v: any): { value: any; secret: boolean } {
  if (Array.isArray(v)) {
    const parts = v.map(unwrapSecrets);
    return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
  }
  if (v && typeof v === "object") {
    if (v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return { value: unwrapSecrets(v.value).value, secret: true };
    let secret = false;
    const out: Record<string, any> = {};
    for (const [k, x] of Object.entries(v)) {
      const u = unwrapSecrets(x);
      out[k] = u.value;
      secret ||= u.secret;
    }
    return { value: out, secret };
  }
  return { value: v, secret: false };
}

function resolved<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/**
 * What `linode.getRegions` returns under mocks: the fixtures' regions with the
 * Metadata capability, and one made-up region without it (zz-nometadata) for the trust-on-first-use path.
 */
export const MOCK_REGIONS = [
  ...["us-ord", "us-sea", "us-mia", "us-iad", "eu-central", "ap-south", "in-bom-2"].map((id) => ({
    id,
    capabilities: ["Linodes", "Cloud Firewall", "Metadata"],
  })),
  { id: "zz-nometadata", capabilities: ["Linodes", "Cloud Firewall"] },
];

export async function runProgram(
  config: Record<string, string>,
  program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  opts: {
    stack?: string;
    secretKeys?: string[];
    preview?: boolean;
    regions?: { id: string; capabilities: string[] }[];
    imageCapabilities?: string[];
    imageMissing?: boolean;
  } = {},
): Promise<ProgramRun> {
  const resources: Recorded[] = [];
  const calls: string[] = [];
  const pending: Promise<unknown>[] = [];
  const depsByName = new Map<string, { deps: string[]; secret: string[]; parent?: string }>();

  pulumi.runtime.setAllConfig(config, opts.secretKeys ?? []);
  void pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        const inputs: Record<string, any> = {};
        const engineSecret: string[] = [];
        for (const [k, v] of Object.entries(a.inputs)) {
          const u = unwrapSecrets(v);
          inputs[k] = u.value;
          if (u.secret) engineSecret.push(k);
        }
        resources.push({ type: a.type, name: a.name, inputs, secretInputs: engineSecret.sort(), dependsOn: [] });
        // Linode ids are numbers; derive one from the name so runs are reproducible.
        return { id: String(parseInt(h(a.name).slice(0, 7), 16)), state: mockState(a.type, a.name, inputs) };
      },
      call: (a) => {
        calls.push(a.token);
        if (a.token === "linode:index/getDomain:getDomain") return { ...a.inputs, id: 424242 };
        if (a.token === "linode:index/getRegions:getRegions") return { id: "regions", regions: opts.regions ?? MOCK_REGIONS };
        // What the engine hands the program when the API answers 404 for the image: the
        // SDK rethrows a failed invoke as new Error(err.details) (runtime/invoke.js).
        if (a.token === "linode:index/getImage:getImage" && opts.imageMissing) {
          const details = `invocation of ${a.token} returned an error: Error listing images: ${a.inputs.id}: [404] Not found`;
          throw Object.assign(new Error(details), { details });
        }
        if (a.token === "linode:index/getImage:getImage") return { ...a.inputs, capabilities: opts.imageCapabilities ?? ["cloud-init"] };
        return a.inputs;
      },
    },
    "linode-ikev2-vpn",
    opts.stack ?? "dev",
    opts.preview ?? false,
  );

  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  await (pulumi.runtime as any).runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const entry = { deps: [] as string[], secret: [] as string[], parent: args.opts.parent ? (args.opts.parent as any).__name : undefined };
      depsByName.set(args.name, entry);
      const deps = args.opts.dependsOn;
      const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
      for (const d of list as pulumi.Resource[]) pending.push(resolved((d as any).urn).then((urn: any) => entry.deps.push(String(urn).split("::").pop()!)));
      for (const [k, v] of Object.entries(args.props ?? {})) {
        pending.push((pulumi.output(v) as any).isSecret.then((s: boolean) => s && entry.secret.push(k)));
      }
      return undefined;
    });
    const exported = await program();
    for (const [k, v] of Object.entries(exported)) {
      outputs[k] = await resolved(v as any);
      if (pulumi.Output.isInstance(v) && (await (v as any).isSecret)) secretOutputs.push(k);
    }
    return {};
  });
  // Resources whose dependencies resolve late (the step chain) register after the
  // outputs are known: wait for every outstanding registration.
  await (pulumi.runtime as any).waitForRPCs();
  await Promise.all(pending);
  for (const r of resources) {
    const e = depsByName.get(r.name);
    if (e) {
      r.dependsOn = [...e.deps].sort();
      // Secret as the program declared it, or as the engine received it.
      r.secretInputs = [...new Set([...e.secret, ...r.secretInputs])].sort();
      r.parent = e.parent;
    }
  }
  return {
    resources,
    outputs,
    secretOutputs,
    calls,
    ofType: (t) => resources.filter((r) => r.type === t),
    byName: (n) => {
      const r = resources.find((x) => x.name === n);
      if (!r) throw new Error(`no resource named ${n}; have: ${resources.map((x) => x.name).join(", ")}`);
      return r;
    },
  };
}
