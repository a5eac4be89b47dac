// Who the remote steps talk to. @pulumi/command checks no host key unless
// `connection.hostKey` is set, and the push step sends the server's private key and
// every EAP password: each step must pin the server's SSH host key.
//
// - Region with the Linode `Metadata` capability (image with `cloud-init`, see
//   model/firstBoot.ts firstBootUserData): the stack generates the ED25519
//   host key (secret) and hands it to the VM at first boot as cloud-init user data,
//   so even the first connection is verified.
// - Otherwise: trust on first use. One step connects without a host key, sends
//   nothing secret, prints the server's ED25519 host key and makes sshd offer only
//   that key (model/server/cloudInit.ts RECORD_HOST_KEY_SCRIPT); every later step
//   (the push of secrets included) pins that key. An attacker who sits in the path
//   at that first connection, and stays there, is trusted from then on: that is the
//   limit of trust-on-first-use, said in preview and in the README.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as command from "@pulumi/command";
import type * as linode from "@pulumi/linode";
import { hostKeyLine, RECORD_HOST_KEY_SCRIPT, renderUserData, userDataBase64 } from "../model/server/cloudInit";

export interface GeneratedHostKey {
  /** "ssh-ed25519 AAAA...": pinned by every step. */
  hostKey: pulumi.Output<string>;
  /** The Instance's `metadatas` (secret: it carries the private half). */
  metadatas: pulumi.Output<linode.types.input.InstanceMetadata[]>;
}

/** The stack-generated host key and the first-boot user data that installs it. */
export function generatedHostKey(name: string, parent: pulumi.Resource): GeneratedHostKey {
  const key = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, { parent });
  const hostKey = key.publicKeyOpenssh.apply(hostKeyLine);
  const userData = pulumi
    .all([key.privateKeyOpenssh, key.publicKeyOpenssh])
    .apply(([privateOpenssh, publicOpenssh]) => userDataBase64(renderUserData({ hostKey: { privateOpenssh, publicOpenssh } })));
  return { hostKey, metadatas: pulumi.secret(userData.apply((u) => [{ userData: u }])) };
}

export interface RecordedHostKey {
  hostKey: pulumi.Output<string>;
  /** The unpinned first step; every pinned step runs after it. */
  step: command.remote.Command;
}

/** Trust on first use: the one unpinned connection, whose output every later step pins. */
export function recordHostKeyOnFirstUse(
  name: string,
  args: { connection: command.types.input.remote.ConnectionArgs; triggers: pulumi.Input<unknown>[]; dependsOn: pulumi.Resource[] },
  parent: pulumi.Resource,
): RecordedHostKey {
  const step = new command.remote.Command(
    `${name}-00-record-host-key`,
    { connection: args.connection, create: RECORD_HOST_KEY_SCRIPT, triggers: args.triggers, logging: "stderr", addPreviousOutputInEnv: false },
    { parent, dependsOn: args.dependsOn },
  );
  return { hostKey: step.stdout.apply(hostKeyLine), step };
}
