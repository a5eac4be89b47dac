// Says in `pulumi preview` (and `up`) that a region's VPN server is about to be
// replaced or resized, and that the VPN is down meanwhile.
//
// The program cannot see the state, so it cannot compare the configured image with
// the deployed one; a dynamic resource can: it holds the inputs that force a new VM
// (region, image, SSH key) plus the plan (a resize reboots the VM), and its `diff`,
// which runs in every preview, compares them with the last deployed values. When one
// changed it prints a warning (a provider plugin's stderr becomes a diagnostic message
// the CLI prints: pulumi sdk/go/common/resource/plugin/plugin.go, newPlugin's
// runtrace -> Diag.Infoerrf) and reports an update of this resource, so the preview also
// lists `<region>-server-downtime` next to the Instance's replacement. It creates
// nothing and never connects anywhere.
//
// Why not a stack transformation or `replaceOnChanges`: neither sees the previous
// values, so neither can tell a new image from an unchanged one.
import * as pulumi from "@pulumi/pulumi";

export interface ServerShape {
  region: string;
  image: string;
  /** The SSH public key the VM is created with (a new one forces a new VM). */
  sshPublicKey: string;
  /** The generated SSH host key handed over in the user data (a new one forces a new VM); "" where it is recorded on first use. */
  hostKey: string;
  /** The Linode plan; a change resizes the VM in place (a reboot, several minutes). */
  instanceType: string;
}

export interface DowntimeNoticeInputs {
  /** Region id used in messages, e.g. us-ord. */
  name: string;
  hostname: string;
  server: ServerShape;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const REPLACING: (keyof ServerShape)[] = ["region", "image", "sshPublicKey", "hostKey"];

/** The warning for this change, or undefined when the VM stays as it is. Pure. */
export function downtimeWarning(olds: Partial<DowntimeNoticeInputs>, news: DowntimeNoticeInputs): string | undefined {
  const before = (olds.server ?? {}) as Partial<ServerShape>;
  const after = news.server ?? ({} as ServerShape);
  if (!olds.server) return undefined; // first deployment: nothing is running yet
  const changed = (k: keyof ServerShape) => after[k] === UNKNOWN || before[k] !== after[k];
  const show = (k: keyof ServerShape) =>
    k === "sshPublicKey"
      ? "a new SSH key"
      : k === "hostKey"
        ? "a new SSH host key"
        : `${k} ${before[k]} -> ${after[k] === UNKNOWN ? "(not known yet)" : after[k]}`;
  const replacing = REPLACING.filter(changed);
  if (replacing.length > 0) {
    return (
      `WARNING ${news.name}: this update REPLACES the VPN server ${news.hostname} (${replacing.map(show).join(", ")}). ` +
      `The old server is deleted first (Linode labels are unique), so the VPN is DOWN from then until the new server is provisioned, ` +
      `usually 5-15 minutes; connected users are dropped. Its IPv4, IPv6 and routed /64 change; the DNS records follow (TTL 300 s). ` +
      `Profiles stay valid. Run it when nobody needs the VPN, or add a region first.`
    );
  }
  if (changed("instanceType")) {
    return `WARNING ${news.name}: this update RESIZES the VPN server ${news.hostname} (${show("instanceType")}): Linode powers it off and migrates it, so the VPN is down for several minutes; connected users are dropped.`;
  }
  return undefined;
}

function createDowntimeNoticeProvider(log: (m: string) => void = (m) => console.error(m)) {
  return {
    async diff(_id: string, olds: DowntimeNoticeInputs, news: DowntimeNoticeInputs) {
      const warning = downtimeWarning(olds, news);
      if (warning) log(warning);
      // Field by field: olds come from the state, whose key order need not match.
      const fields: (keyof ServerShape)[] = ["region", "image", "sshPublicKey", "hostKey", "instanceType"];
      const moved = fields.some((k) => (olds.server ?? ({} as ServerShape))[k] !== (news.server ?? ({} as ServerShape))[k]);
      return { changes: warning !== undefined || moved || olds.hostname !== news.hostname };
    },
    async create(inputs: DowntimeNoticeInputs) {
      return { id: `${inputs.name}-server`, outs: inputs };
    },
    async update(_id: string, _olds: DowntimeNoticeInputs, news: DowntimeNoticeInputs) {
      return { outs: news };
    },
    async delete() {
      // Nothing exists outside the state.
    },
  };
}

export type DowntimeNoticeArgs = {
  name: string;
  hostname: pulumi.Input<string>;
  server: pulumi.Input<{ [K in keyof ServerShape]: pulumi.Input<ServerShape[K]> }>;
};

export class DowntimeNotice extends pulumi.dynamic.Resource {
  constructor(name: string, args: DowntimeNoticeArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(createDowntimeNoticeProvider(), name, args, opts);
  }
}
