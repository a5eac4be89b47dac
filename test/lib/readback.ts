// Reads the IKE/ESP suite back out of rendered profiles, as strongSwan proposal strings.
// The tests use it to prove that what a file actually says (not what the table meant to
// say) is a suite the server accepts: unit tests against the server's proposal lists, the
// end-to-end tier by connecting a strongSwan client configured with exactly that suite.
import { Algo, DH, ENCR, INTEG, PRF } from "../../model/proposals";

export interface ReadSuite {
  ike: string;
  /** The first CHILD_SA (no key exchange, as in IKE_AUTH) and, with PFS, the rekey proposal. */
  esp: string;
  /** Rekey proposal with PFS, undefined without PFS. */
  espPfs?: string;
}

const TABLES = { ENCR, INTEG, PRF, DH } as const;

function lookup(table: keyof typeof TABLES, field: "apple" | "windows" | "windowsEsp" | "windowsPfs", value: unknown): Algo {
  const hit = Object.values(TABLES[table] as Record<string, Algo>).find((a) => a[field] === value);
  if (!hit) throw new Error(`${JSON.stringify(value)} is not a ${field} name in the ${table} table`);
  return hit;
}

const join = (...algos: Array<Algo | undefined>) =>
  algos
    .filter((a): a is Algo => a !== undefined)
    .map((a) => a.swan)
    .join("-");

/** The PRF strongSwan negotiates for an integrity algorithm's hash (Apple/Windows derive it the same way). */
function prfFor(integ: Algo): Algo {
  const prf = Object.values(PRF as Record<string, Algo>).find((p) => p.swan === `prf${integ.swan}`);
  if (!prf) throw new Error(`no PRF for ${integ.swan}`);
  return prf;
}

/** From one parsed Apple VPN payload's IKEv2 dictionary. */
export function appleSuite(ikev2: Record<string, any>): ReadSuite {
  const ikeSa = ikev2.IKESecurityAssociationParameters;
  const childSa = ikev2.ChildSecurityAssociationParameters ?? ikeSa;
  const encr = lookup("ENCR", "apple", ikeSa.EncryptionAlgorithm);
  const integ = lookup("INTEG", "apple", ikeSa.IntegrityAlgorithm ?? "SHA2-256");
  const dh = lookup("DH", "apple", ikeSa.DiffieHellmanGroup ?? 14);
  // AEAD: Apple uses the integrity algorithm as PRF and proposes no integrity transform.
  const ike = encr.aead ? join(encr, prfFor(integ), dh) : join(encr, integ, dh);
  const cEncr = lookup("ENCR", "apple", childSa.EncryptionAlgorithm);
  const cInteg = cEncr.aead ? undefined : lookup("INTEG", "apple", childSa.IntegrityAlgorithm ?? "SHA2-256");
  const esp = join(cEncr, cInteg);
  const pfs = ikev2.EnablePFS === 1 || ikev2.EnablePFS === true ? lookup("DH", "apple", childSa.DiffieHellmanGroup ?? 14) : undefined;
  return { ike, esp, espPfs: pfs ? join(cEncr, cInteg, pfs) : undefined };
}

/** From the Set-VpnConnectionIPsecConfiguration line of a rendered PowerShell script. */
export function windowsSuite(script: string): ReadSuite {
  const line = script.split(/\r?\n/).find((l) => l.startsWith("Set-VpnConnectionIPsecConfiguration "));
  if (!line) throw new Error("no Set-VpnConnectionIPsecConfiguration call");
  const arg = (name: string): string => {
    const m = new RegExp(`(?:^|\\s)-${name}\\s+([A-Za-z0-9]+)(?=\\s|$)`).exec(line);
    if (!m) throw new Error(`-${name} missing`);
    return m[1];
  };
  const encr = lookup("ENCR", "windows", arg("EncryptionMethod"));
  const integ = lookup("INTEG", "windows", arg("IntegrityCheckMethod"));
  const dh = lookup("DH", "windows", arg("DHGroup"));
  const ike = encr.aead ? join(encr, prfFor(integ), dh) : join(encr, integ, dh);
  const cEncr = lookup("ENCR", "windows", arg("CipherTransformConstants"));
  const auth = arg("AuthenticationTransformConstants");
  let cInteg: Algo | undefined;
  if (cEncr.aead) {
    if (auth !== cEncr.windows) throw new Error(`GCM cipher ${cEncr.windows} needs the same authentication transform, got ${auth}`);
  } else {
    cInteg = lookup("INTEG", "windowsEsp", auth);
  }
  const pfsName = arg("PfsGroup");
  const pfs = pfsName === "None" ? undefined : lookup("DH", "windowsPfs", pfsName);
  return { ike, esp: join(cEncr, cInteg), espPfs: pfs ? join(cEncr, cInteg, pfs) : undefined };
}

/** From a parsed .sswan profile (strongSwan proposal strings already; the first CHILD_SA drops the DH group). */
export function androidSuite(profile: Record<string, any>): ReadSuite {
  const esp: string = profile["esp-proposal"];
  const parts = esp.split("-");
  const dhNames = Object.values(DH as Record<string, Algo>).map((d) => d.swan);
  const withoutDh = parts.filter((p) => !dhNames.includes(p)).join("-");
  return { ike: profile["ike-proposal"], esp: withoutDh, espPfs: withoutDh === esp ? undefined : esp };
}
