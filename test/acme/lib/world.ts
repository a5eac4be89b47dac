// The tier's standard loopback world: a throwaway CA, BIND authoritative for
// example.com (TSIG keys: `acme-test` may only change the challenge TXT of
// vpn.example.com, `acme-admin` and `acme-sha512` any TXT in the zone), and pebble resolving
// through that BIND. Each test file starts its own and stops it in `after`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AcmeCertificateInputs } from "../../../components/acme/types";
import { Bind, newTsigKey, startBind, TsigKeySpec, txtValues } from "./bind";
import { accountKeyPem, certKeyAndCsr, CertKey } from "./keys";
import { removeAtExit } from "./procs";
import { Pebble, startPebble } from "./pebble";
import { makeTestCa, TestCa } from "./testCa";

export const HOSTNAME = "vpn.example.com";
export const ZONE = "example.com";
export const CHALLENGE = `_acme-challenge.${HOSTNAME}`;

export interface World {
  dir: string;
  ca: TestCa;
  bind: Bind;
  pebble: Pebble;
  challengeKey: TsigKeySpec;
  adminKey: TsigKeySpec;
  /** hmac-sha512, same rights as adminKey (algorithm coverage). */
  sha512Key: TsigKeySpec;
  accountKey: string;
  certKey: CertKey;
  /** Provider inputs for the rfc2136 solver against this world; `over` replaces fields. */
  rfc2136Inputs(over?: Partial<AcmeCertificateInputs>): AcmeCertificateInputs;
  /** Propagation settings that query this world's BIND only. */
  propagation: NonNullable<AcmeCertificateInputs["propagation"]>;
  /** TXT values BIND serves for the challenge name right now. */
  challengeTxt(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startWorld(extraZones: { name: string; nameservers: string[] }[] = []): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "acme-tier-"));
  removeAtExit(dir);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ca = await makeTestCa(dir);
    const challengeKey = newTsigKey("acme-test");
    const adminKey = newTsigKey("acme-admin");
    const sha512Key = newTsigKey("acme-sha512", "hmac-sha512");
    const zones = [{ name: ZONE, nameservers: ["127.0.0.1"] }, ...extraZones].map((z) => ({
      ...z,
      grants: [`grant acme-test. name _acme-challenge.${HOSTNAME}. TXT;`, "grant acme-admin. zonesub TXT;", "grant acme-sha512. zonesub TXT;"],
    }));
    const bind = await startBind(join(dir, "bind"), [challengeKey, adminKey, sha512Key], zones);
    stops.push(() => bind.stop());
    const pebble = await startPebble(dir, ca, `127.0.0.1:${bind.port}`);
    stops.push(() => pebble.stop());
    const [accountKey, certKey] = await Promise.all([accountKeyPem(), certKeyAndCsr(HOSTNAME)]);
    const propagation = { resolvers: [`127.0.0.1:${bind.port}`], nameserverPort: bind.port, intervalSeconds: 0.2, timeoutSeconds: 10 };
    return {
      dir,
      ca,
      bind,
      pebble,
      challengeKey,
      adminKey,
      sha512Key,
      accountKey,
      certKey,
      propagation,
      rfc2136Inputs: (over = {}) => ({
        hostname: HOSTNAME,
        csrPem: certKey.csrPem,
        directoryUrl: pebble.directoryUrl,
        accountKeyPem: accountKey,
        acmeServerCaPem: ca.caPem,
        dns: { provider: "rfc2136", zone: ZONE, server: "127.0.0.1", port: bind.port, keyName: challengeKey.name, algorithm: challengeKey.algorithm },
        dnsCredential: challengeKey.secret,
        propagation,
        timeouts: { requestSeconds: 5, validationSeconds: 20, dnsSeconds: 5 },
        ...over,
      }),
      challengeTxt: () => txtValues("127.0.0.1", bind.port, CHALLENGE),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
