// Test-only lifetime overrides. Production lifetimes (model/rekey.ts) are hours; the e2e tier
// needs seconds. Nothing here touches the render code: the server's rendered swanctl.conf is
// rewritten in the harness's own copy, line by line, each rewritten line preceded by a visible
// `test-only` comment, and the rewrite refuses to run if the production line is not there (so
// the test cannot silently run production-length lifetimes, or drift from the policy table).
import type { ServerFile } from "../../model/server/files";
import { PATHS } from "../../model/server/files";
import { SERVER_LIFETIMES, swanDuration } from "../../model/rekey";

export const TEST_ONLY_MARKER = "# test-only: shortened by test/lib/lifetimes.ts (never in production files)";

/** The server files with the CHILD_SA hard lifetime (life_time) replaced by `childLifeSeconds`. */
export function withShortServerLifetimes(files: ServerFile[], childLifeSeconds: number): ServerFile[] {
  const production = swanDuration(SERVER_LIFETIMES.childLifeSeconds);
  return files.map((f) => {
    if (f.path !== PATHS.swanctlConf) return f;
    let n = 0;
    const content = f.content.replace(new RegExp(`^( +)life_time = ${production}$`, "gm"), (_m, indent: string) => {
      n++;
      return `${indent}${TEST_ONLY_MARKER}\n${indent}life_time = ${swanDuration(childLifeSeconds)}`;
    });
    if (n === 0) throw new Error(`no "life_time = ${production}" line in the rendered swanctl.conf: the rekey policy and the harness disagree`);
    return { ...f, content };
  });
}

/** Client-side rekey settings (swanctl syntax) for the generated client config (ClientSpec.rekey). */
export interface ClientRekey {
  /** IKE_SA rekey_time; "0s" = never. */
  ike: string;
  /** IKE_SA over_time (hard lifetime after rekey_time). */
  ikeOver?: string;
  /** CHILD_SA rekey_time; "0s" = never. */
  child: string;
  /** CHILD_SA life_time. */
  childLife?: string;
}

/**
 * The server files with dead peer detection shortened: dpd_delay in swanctl.conf, and
 * charon's retransmission schedule (strongswan.conf charon.retransmit_*) appended to the
 * harness's copy of zz-vpn.conf. Production: 30 s of silence, then strongSwan's default
 * 5 retransmits (4 s x 1.8^n, about 165 s) before the peer is declared dead.
 */
export function withShortDpd(files: ServerFile[], dpdSeconds: number): ServerFile[] {
  const production = swanDuration(SERVER_LIFETIMES.dpdDelaySeconds);
  return files.map((f) => {
    if (f.path === PATHS.swanctlConf) {
      let n = 0;
      const content = f.content.replace(new RegExp(`^( +)dpd_delay = ${production}$`, "gm"), (_m, indent: string) => {
        n++;
        return `${indent}${TEST_ONLY_MARKER}\n${indent}dpd_delay = ${swanDuration(dpdSeconds)}`;
      });
      if (n === 0) throw new Error(`no "dpd_delay = ${production}" line in the rendered swanctl.conf`);
      return { ...f, content };
    }
    if (f.path === PATHS.strongswanConf) {
      return { ...f, content: `${f.content}${TEST_ONLY_MARKER}\ncharon {\n  retransmit_tries = 2\n  retransmit_timeout = 1.0\n  retransmit_base = 1.0\n}\n` };
    }
    return f;
  });
}
