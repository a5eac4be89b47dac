// DNS-01 through RFC 2136 dynamic updates signed with TSIG (RFC 8945), for users who
// run their own primary name server (BIND, Knot, PowerDNS): the client that sends an
// update over TCP and checks the answer, and the solver. The messages themselves, and
// why they are written here rather than with an npm package: ./tsig.ts.
//
// Every `require` sits inside a function: this module is serialized into the
// Pulumi dynamic provider (see provider.ts).
import type { DnsSolver, Logger, PresentedRecord, Rfc2136DnsSettings } from "../types";
import { buildUpdate, parseReply, ParsedReply, signMessage, TsigKey, u16, UpdateOp, verifyReply } from "./tsig";

const RCODES: Record<number, string> = {
  1: "FORMERR (the server could not parse the update)",
  2: "SERVFAIL (the server failed to apply the update; see its log)",
  3: "NXDOMAIN",
  4: "NOTIMP (the server does not support dynamic updates)",
  5: "REFUSED (the server's update policy does not allow this key to change this name; grant the key `name <fqdn> TXT` in update-policy)",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH (the server is not authoritative for the zone, or rejected the key)",
  10: "NOTZONE (the name is not inside the zone sent in the update)",
};

const TSIG_ERRORS: Record<number, string> = {
  16: "BADSIG (the TSIG secret is wrong: check vpn:rfc2136Secret)",
  17: "BADKEY (the server does not know this key name and algorithm: check vpn:rfc2136.keyName and .algorithm)",
  18: "BADTIME (the clocks of this machine and the name server differ by more than 5 minutes)",
  22: "BADTRUNC",
};

/** One request/response over TCP (DNS messages framed by a 2-byte length). */
function exchangeTcp(host: string, port: number, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const net = require("node:net") as typeof import("node:net");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      fail(new Error(err.code === "ECONNREFUSED" ? `connection refused (nothing listens on TCP ${host}:${port})` : err.message)),
    );
    socket.on("connect", () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.end();
        resolve(data.subarray(2, 2 + data.readUInt16BE(0)));
      }
    });
    socket.on("end", () => fail(new Error("the server closed the connection without an answer")));
  });
}

export interface Rfc2136Client {
  update(ops: UpdateOp[]): Promise<void>;
}

export function rfc2136Client(settings: Rfc2136DnsSettings, secretBase64: string, timeoutMs: number): Rfc2136Client {
  const algorithm = settings.algorithm ?? "hmac-sha256";
  const key: TsigKey = { name: settings.keyName, algorithm, secret: Buffer.from(secretBase64, "base64") };
  const port = settings.port ?? 53;
  const where = `${settings.server.includes(":") ? `[${settings.server}]` : settings.server}:${port}`;
  const fail = (what: string) => new Error(`DNS provider rfc2136 (${where}, key ${settings.keyName}): ${what}`);
  return {
    async update(ops) {
      const { randomInt } = require("node:crypto") as typeof import("node:crypto");
      const id = randomInt(0, 0x10000);
      const { signed, mac } = signMessage(buildUpdate(id, settings.zone, ops), key, Math.floor(Date.now() / 1000));
      let raw: Buffer;
      try {
        raw = await exchangeTcp(settings.server, port, signed, timeoutMs);
      } catch (err) {
        throw fail(`cannot reach the name server: ${(err as Error).message}`);
      }
      let reply: ParsedReply;
      try {
        reply = parseReply(raw);
      } catch (err) {
        throw fail(`unreadable reply: ${(err as Error).message}`);
      }
      if (reply.id !== id) throw fail("the reply does not match the request (wrong message id)");
      const tsigError = reply.tsig?.error ?? 0;
      if (tsigError !== 0) throw fail(`the server rejected the TSIG key: ${TSIG_ERRORS[tsigError] ?? `TSIG error ${tsigError}`}`);
      if (reply.rcode !== 0) throw fail(`update refused: ${RCODES[reply.rcode] ?? `rcode ${reply.rcode}`}`);
      if (!verifyReply(raw, reply, key, mac)) throw fail("the reply is not signed with our TSIG key; refusing to trust it");
    },
  };
}

/** The rfc2136 DNS-01 solver: adds the challenge value, and removes exactly that value afterwards. */
export function rfc2136Solver(settings: Rfc2136DnsSettings, secretBase64: string, log: Logger, timeoutMs: number): DnsSolver {
  const client = rfc2136Client(settings, secretBase64, timeoutMs);
  return {
    name: `rfc2136 (${settings.server}:${settings.port ?? 53})`,
    async present(fqdn: string, value: string): Promise<PresentedRecord> {
      await client.update([{ op: "add", name: fqdn, value }]);
      log(`rfc2136: added TXT ${fqdn}`);
      return { fqdn, value };
    },
    async cleanup(record: PresentedRecord): Promise<void> {
      await client.update([{ op: "delete", name: record.fqdn, value: record.value }]);
      log(`rfc2136: removed TXT ${record.fqdn}`);
    },
  };
}
