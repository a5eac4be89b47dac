// An IKE_SA_INIT flooder for the e2e tier and the bench ("IKE under
// attack", docs/security.md), run inside a test namespace only: `node ... ikeflood.ts <json options>`.
// Two kinds:
//  - "spoofed": IKE_SA_INIT that never answers the server's COOKIE request (what a
//    sender with forged source addresses can do: it never sees the reply);
//  - "cookie-echo": re-sends each IKE_SA_INIT with the COOKIE notify from the
//    server's reply, so charon creates the IKE_SA and computes the DH secret.
// One UDP socket bound to each source address; a fixed number of handshakes at a
// fixed rate (bounded: it stops at `count` or after `seconds` + 2 s, whichever first).
// Hand-written because no packaged IKEv2 packet library exists for Node; the
// messages follow RFC 7296 (header 3.1, SA 3.3, KE 3.4, Nonce 3.9, Notify 3.10,
// COOKIE 2.6) with one proposal the server accepts: AES-GCM-16-256, PRF-HMAC-SHA2-384,
// Curve25519 (model/proposals.ts). KE is random: enough to make the server compute.
import { createSocket, Socket } from "node:dgram";
import { randomBytes } from "node:crypto";

export interface FloodOptions {
  kind: "spoofed" | "cookie-echo";
  server: string;
  port?: number;
  sources: string[];
  /** New handshakes (initial IKE_SA_INIT) per second, all sources together. */
  rate: number;
  seconds: number;
}

export interface FloodResult {
  kind: FloodOptions["kind"];
  sources: number;
  /** Initial IKE_SA_INIT sent, and the rate achieved. */
  sent: number;
  achievedRate: number;
  /** Replies asking for a COOKIE, and echoes sent back with it. */
  cookies: number;
  echoes: number;
  /** IKE_SA_INIT responses with SA/KE: charon did the DH work. */
  dhResponses: number;
  /** Other replies (e.g. NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD). */
  otherReplies: number;
  elapsedMs: number;
}

const IKE_SA_INIT = 34;
const PAYLOAD = { SA: 33, KE: 34, NONCE: 40, NOTIFY: 41, NONE: 0 } as const;
const COOKIE = 16390;
const HEADER_LEN = 28;

function generic(next: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt8(next, 0);
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

function transform(last: boolean, type: number, id: number, keyLength?: number): Buffer {
  const t = Buffer.alloc(keyLength ? 12 : 8);
  t.writeUInt8(last ? 0 : 3, 0);
  t.writeUInt16BE(t.length, 2);
  t.writeUInt8(type, 4);
  t.writeUInt16BE(id, 6);
  if (keyLength) {
    t.writeUInt16BE(0x800e, 8); // TV attribute: Key Length
    t.writeUInt16BE(keyLength, 10);
  }
  return t;
}

/** SA, KE and Nonce payloads (constant: only the SPI and the COOKIE vary per message). */
function saKeNonce(): Buffer {
  const transforms = Buffer.concat([
    transform(false, 1, 20, 256), // ENCR_AES_GCM_16, 256-bit key
    transform(false, 2, 6), // PRF_HMAC_SHA2_384
    transform(true, 4, 31), // DH Curve25519
  ]);
  const proposal = Buffer.alloc(8);
  proposal.writeUInt8(0, 0); // last proposal
  proposal.writeUInt16BE(8 + transforms.length, 2);
  proposal.writeUInt8(1, 4); // proposal 1
  proposal.writeUInt8(1, 5); // protocol IKE
  proposal.writeUInt8(0, 6); // no SPI
  proposal.writeUInt8(3, 7); // transforms
  const ke = Buffer.alloc(4);
  ke.writeUInt16BE(31, 0);
  return Buffer.concat([
    generic(PAYLOAD.KE, Buffer.concat([proposal, transforms])),
    generic(PAYLOAD.NONCE, Buffer.concat([ke, randomBytes(32)])),
    generic(PAYLOAD.NONE, randomBytes(32)),
  ]);
}

function header(spi: Buffer, first: number, length: number): Buffer {
  const h = Buffer.alloc(HEADER_LEN);
  spi.copy(h, 0, 0, 8);
  h.writeUInt8(first, 16);
  h.writeUInt8(0x20, 17); // IKEv2
  h.writeUInt8(IKE_SA_INIT, 18);
  h.writeUInt8(0x08, 19); // Initiator
  h.writeUInt32BE(length, 24);
  return h;
}

const BODY = saKeNonce();

export function initialMessage(spi: Buffer): Buffer {
  return Buffer.concat([header(spi, PAYLOAD.SA, HEADER_LEN + BODY.length), BODY]);
}

/** The same IKE_SA_INIT with the COOKIE notify first (RFC 7296 2.6). */
export function echoMessage(spi: Buffer, cookie: Buffer): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt16BE(COOKIE, 2); // protocol 0, SPI size 0
  const notify = generic(PAYLOAD.SA, Buffer.concat([n, cookie]));
  return Buffer.concat([header(spi, PAYLOAD.NOTIFY, HEADER_LEN + notify.length + BODY.length), notify, BODY]);
}

/** What a reply to our IKE_SA_INIT is: a COOKIE request, a DH response, or something else. */
export function classifyReply(msg: Buffer): { kind: "cookie"; spi: Buffer; cookie: Buffer } | { kind: "dh" | "other" } {
  if (msg.length < HEADER_LEN || msg.readUInt8(18) !== IKE_SA_INIT) return { kind: "other" };
  let next = msg.readUInt8(16);
  let off = HEADER_LEN;
  let sawKe = false;
  while (next !== PAYLOAD.NONE && off + 4 <= msg.length) {
    const len = msg.readUInt16BE(off + 2);
    if (len < 4 || off + len > msg.length) return { kind: "other" };
    if (next === PAYLOAD.NOTIFY && len >= 8 && msg.readUInt16BE(off + 6) === COOKIE) {
      const spiSize = msg.readUInt8(off + 5);
      return { kind: "cookie", spi: msg.subarray(0, 8), cookie: Buffer.from(msg.subarray(off + 8 + spiSize, off + len)) };
    }
    if (next === PAYLOAD.KE) sawKe = true;
    next = msg.readUInt8(off);
    off += len;
  }
  return { kind: sawKe ? "dh" : "other" };
}

export async function flood(o: FloodOptions, onProgress?: (r: FloodResult) => void): Promise<FloodResult> {
  const port = o.port ?? 500;
  const count = Math.round(o.rate * o.seconds);
  const r: FloodResult = {
    kind: o.kind,
    sources: o.sources.length,
    sent: 0,
    achievedRate: 0,
    cookies: 0,
    echoes: 0,
    dhResponses: 0,
    otherReplies: 0,
    elapsedMs: 0,
  };
  const sockets: Socket[] = await Promise.all(
    o.sources.map(
      (address) =>
        new Promise<Socket>((resolve, reject) => {
          const s = createSocket({ type: address.includes(":") ? "udp6" : "udp4", recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
          s.once("error", reject);
          s.bind({ address, port: 0 }, () => resolve(s));
        }),
    ),
  );
  for (const s of sockets) {
    s.on("error", () => undefined); // ENOBUFS and the like: a flood tolerates loss
    s.on("message", (msg) => {
      const c = classifyReply(msg);
      if (c.kind === "cookie") {
        r.cookies++;
        if (o.kind === "cookie-echo") {
          r.echoes++;
          s.send(echoMessage(c.spi, c.cookie), port, o.server);
        }
      } else if (c.kind === "dh") r.dhResponses++;
      else r.otherReplies++;
    });
  }
  const start = Date.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const progress = setInterval(() => onProgress?.({ ...r, elapsedMs: Date.now() - start }), 1000);
    const tick = setInterval(() => {
      const elapsed = Date.now() - start;
      const due = Math.min(count, Math.floor((elapsed / 1000) * o.rate));
      while (r.sent < due) {
        const s = sockets[next++ % sockets.length];
        s.send(initialMessage(randomBytes(8)), port, o.server);
        r.sent++;
      }
      if (r.sent >= count || elapsed > (o.seconds + 2) * 1000) {
        clearInterval(tick);
        clearInterval(progress);
        r.elapsedMs = elapsed;
        resolve();
      }
    }, 5);
  });
  // Replies still in flight for a moment: give them 500 ms, then close (bounded).
  await new Promise((res) => setTimeout(res, 500));
  for (const s of sockets) s.close();
  r.achievedRate = Math.round((r.sent / r.elapsedMs) * 1000);
  return r;
}

if (require.main === module) {
  const opts = JSON.parse(process.argv[2]) as FloodOptions;
  flood(opts, (p) => console.log(`progress ${JSON.stringify(p)}`)).then(
    (res) => console.log(`result ${JSON.stringify(res)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
