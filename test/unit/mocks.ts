// Runs a Pulumi program under pulumi.runtime.setMocks and records every resource:
// the inputs the engine receives, which of them are secret, and what each depends
// on. No Pulumi CLI, no provider plugins, no network.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

export interface Recorded {
  type: string;
  name: string;
  /** Inputs as sent to the engine (secrets unwrapped, so tests can compare them). */
  inputs: Record<string, any>;
  /** Top-level input names whose value is secret. */
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
let counter = 0;

/** Plausible provider outputs, derived from the resource name so runs are reproducible. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const n = parseInt(h(name).slice(0, 2), 16);
  switch (type) {
    case "linode:index/instance:Instance":
      return { ...inputs, ipAddress: `203.0.113.${n % 250}`, ipv6: `2001:db8:${n.toString(16)}::${n.toString(16)}/128`, status: "running" };
    case "linode:index/ipv6Range:Ipv6Range":
      return { ...inputs, range: `2001:db8:beef:${n.toString(16)}::` };
    case "tls:index/privateKey:PrivateKey":
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
        certPem: `-----BEGIN CERTIFICATE-----\nMOCKLEAF${h(name).slice(0, 8)}\n-----END CERTIFICATE-----\n`,
        chainPem: "-----BEGIN CERTIFICATE-----\nMOCKINTERMEDIATE\n-----END CERTIFICATE-----\n",
        notAfter: "2027-03-01T00:00:00.000Z",
        notBefore: "2026-12-01T00:00:00.000Z",
        accountUrl: "https://acme.invalid/acct/1",
      };
    case "command:remote:Command":
      return { ...inputs, stdout: "", stderr: "" };
    default:
      return inputs;
  }
}

function resolved<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

export async function runProgram(
  config: Record<string, string>,
  program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  opts: { stack?: string; secretKeys?: string[]; preview?: boolean } = {},
): Promise<ProgramRun> {
  const resources: Recorded[] = [];
  const calls: string[] = [];
  const pending: Promise<unknown>[] = [];
  const depsByName = new Map<string, { deps: string[]; secret: string[]; parent?: string }>();

  pulumi.runtime.setAllConfig(config, opts.secretKeys ?? []);
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        resources.push({ type: a.type, name: a.name, inputs: a.inputs, secretInputs: [], dependsOn: [] });
        return { id: `${a.name}-id-${++counter}`.replace(/-id-\d+$/, "-id"), state: mockState(a.type, a.name, a.inputs) };
      },
      call: (a) => {
        calls.push(a.token);
        if (a.token === "linode:index/getDomain:getDomain") return { ...a.inputs, id: 424242 };
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
  await Promise.all(pending);
  for (const r of resources) {
    const e = depsByName.get(r.name);
    if (e) {
      r.dependsOn = [...e.deps].sort();
      r.secretInputs = [...e.secret].sort();
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
