// One-time share links on a real systemd host: a link made with the rendered
// vpn-share over SSH (as `npm run share` does), fetched from the upstream
// namespace with curl trusting only the test CA, by the VPN hostname.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHARE_PATHS, TOKEN_BYTES } from "../../../model/server/share";
import { linkBundle, tokenFromBytes } from "../../../model/share/link";
import type { ProfileSet } from "../../../model/profiles";
import { inNs, run } from "../../lib/exec";
import type { TestPki } from "../../lib/pki";
import type { TestHost } from "./host";
import type { Lab } from "./lab";
import { HOSTNAME } from "./region";

export const SHARE_SET: ProfileSet = {
  apple: "<plist/>\n",
  windows: "# ps1\n",
  android: "{}\n",
  linuxNm: "[connection]\n",
  linuxSwanctl: "connections {}\n",
};

/** Adds a link for alice expiring in `ttlSeconds`; returns its token. */
export async function addLink(host: TestHost, ttlSeconds: number): Promise<string> {
  const token = tokenFromBytes(randomBytes(TOKEN_BYTES));
  const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
  await host.sshOk(`${SHARE_PATHS.script} add`, { input: linkBundle({ token, user: "alice", region: "hosts", hostname: HOSTNAME, expires, set: SHARE_SET }) });
  return token;
}

/** curl from the upstream namespace: status, content type, headers and body, trusting only the test CA. */
export async function fetchFromUpstream(
  lab: Lab,
  host: TestHost,
  pki: TestPki,
  dir: string,
  path: string,
  extra: string[] = [],
): Promise<{ status: string; type: string; headers: string; body: string; code: number | null }> {
  const ca = join(dir, "share-ca.pem");
  writeFileSync(ca, pki.rootPem);
  const body = join(dir, "share-body");
  const headers = join(dir, "share-headers");
  rmSync(body, { force: true });
  rmSync(headers, { force: true });
  const r = await run(
    inNs(lab.upstream.name, [
      "curl",
      "-sS",
      "--max-time",
      "10",
      "--cacert",
      ca,
      "--resolve",
      `${HOSTNAME}:443:${host.v4}`,
      "-o",
      body,
      "-D",
      headers,
      "-w",
      "%{http_code} %{content_type}",
      ...extra,
      `https://${HOSTNAME}${path}`,
    ]),
  );
  const [status, ...type] = r.stdout.split(" ");
  // Nothing written (a refused handshake): empty.
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  return { status, type: type.join(" "), headers: read(headers), body: read(body), code: r.code };
}
