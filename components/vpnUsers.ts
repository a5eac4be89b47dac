// Users' passwords: the configured ones, and a generated one for every user without.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { UserSpec } from "../model/types";

export const GENERATED_PASSWORD_LENGTH = 28;

export interface VpnUsersArgs {
  users: UserSpec[];
  /** Configured passwords (from the secret vpn:passwords). */
  passwords: Record<string, string>;
  /** vpn:rotations: user -> how often the generated password was replaced. */
  rotations?: Record<string, number>;
}

export class VpnUsers extends pulumi.ComponentResource {
  /** user name -> password, for every user. Secret. */
  readonly passwords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: VpnUsersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vpn:index:VpnUsers", name, {}, opts);
    const entries = args.users.map((u) => {
      const configured = args.passwords[u.name];
      if (configured !== undefined) return pulumi.output([u.name, configured] as const);
      // Letters and digits only: easy to type where a client still asks (the Android app
      // before 2.5.3 ignores the .sswan's local.shared_secret). 28 of 62 symbols is about 166 bits.
      // A rotation (npm run users -- rotate) changes the keepers, which replaces the
      // password; without one the inputs stay exactly as they always were.
      const rotation = args.rotations?.[u.name];
      const generated = new random.RandomPassword(
        `${name}-${u.name}`,
        {
          length: GENERATED_PASSWORD_LENGTH,
          special: false,
          minLower: 2,
          minUpper: 2,
          minNumeric: 2,
          ...(rotation ? { keepers: { rotation: String(rotation) } } : {}),
        },
        { parent: this },
      );
      return generated.result.apply((p) => [u.name, p] as const);
    });
    this.passwords = pulumi.secret(pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs)));
    this.registerOutputs({});
  }
}
