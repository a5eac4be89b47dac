// DNS UPDATE messages (RFC 2136) signed with TSIG (RFC 8945), in wire format: the
// names, the TXT rdata, the UPDATE message, its signature, and the reading and
// verification of the server's signed reply. The client that sends them and the
// DNS-01 solver: ./rfc2136.ts.
//
// Why an own client: no maintained npm package signs UPDATE messages with TSIG.
// Considered (npm registry, December 2026): dns-packet 5.6.1 knows the UPDATE opcode,
// SOA and TXT, but has no encoder for TSIG RDATA (only the type number 250) and no
// name for class NONE (RFC 2136 deletes); dns2 3.1.1 and native-dns have neither.
// dns-packet could write the header and the TXT updates, but the TSIG record and the
// MAC over the exact bytes (RFC 8945 4.3) would still be written here, so the saving
// is small. Shelling out to nsupdate would need bind9-dnsutils on every machine that
// runs `pulumi up`. The wire format needed here is small: one zone, add or delete TXT
// records, a TSIG record, and verification of the server's signed reply.
//
// Every `require` sits inside a function: this module is serialized into the
// Pulumi dynamic provider (see provider.ts).

const TYPE_SOA = 6;
const TYPE_TXT = 16;
const TYPE_TSIG = 250;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;
const FUDGE_SECONDS = 300;
const CHALLENGE_TTL = 60;

const HASHES: Record<string, string> = { "hmac-sha256": "sha256", "hmac-sha384": "sha384", "hmac-sha512": "sha512" };

/** A DNS name in wire format: lowercase labels, uncompressed (the canonical form TSIG signs). */
export function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, "")
    .split(".")
    .filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label.toLowerCase(), "ascii");
    if (bytes.length > 63) throw new Error(`DNS label too long: ${label}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** TXT rdata: the value as character-strings of at most 255 bytes. */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function rr(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), u16(type), u16(klass), u32(ttl), u16(rdata.length), rdata]);
}

export type UpdateOp =
  { op: "add"; name: string; value: string; ttl?: number } | { op: "delete"; name: string; value: string } | { op: "deleteAll"; name: string };

/** The unsigned UPDATE message (RFC 2136 section 2). */
export function buildUpdate(id: number, zone: string, ops: UpdateOp[]): Buffer {
  const header = Buffer.concat([u16(id), u16(OPCODE_UPDATE << 11), u16(1), u16(0), u16(ops.length), u16(0)]);
  const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE_SOA), u16(CLASS_IN)]);
  const updates = ops.map((o) => {
    if (o.op === "add") return rr(o.name, TYPE_TXT, CLASS_IN, o.ttl ?? CHALLENGE_TTL, txtRdata(o.value));
    if (o.op === "delete") return rr(o.name, TYPE_TXT, CLASS_NONE, 0, txtRdata(o.value));
    return rr(o.name, TYPE_TXT, CLASS_ANY, 0, Buffer.alloc(0));
  });
  return Buffer.concat([header, zoneSection, ...updates]);
}

export interface TsigKey {
  name: string;
  algorithm: string;
  /** The raw secret (decoded from base64). */
  secret: Buffer;
}

function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    encodeName(key.name),
    u16(CLASS_ANY),
    u32(0),
    encodeName(key.algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(error),
    u16(other.length),
    other,
  ]);
}

function hmac(key: TsigKey, data: Buffer[]): Buffer {
  const { createHmac } = require("node:crypto") as typeof import("node:crypto");
  const h = createHmac(HASHES[key.algorithm], key.secret);
  for (const d of data) h.update(d);
  return h.digest();
}

/** Appends a TSIG record to `message`; returns the signed message and the request MAC (needed to verify the reply). */
export function signMessage(message: Buffer, key: TsigKey, timeSigned: number): { signed: Buffer; mac: Buffer } {
  const id = message.readUInt16BE(0);
  const mac = hmac(key, [message, tsigVariables(key, timeSigned, FUDGE_SECONDS, 0, Buffer.alloc(0))]);
  const rdata = Buffer.concat([encodeName(key.algorithm), u48(timeSigned), u16(FUDGE_SECONDS), u16(mac.length), mac, u16(id), u16(0), u16(0)]);
  const signed = Buffer.concat([message, rr(key.name, TYPE_TSIG, CLASS_ANY, 0, rdata)]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(buf: Buffer, off: number): number {
  for (;;) {
    if (off >= buf.length) throw new Error("truncated DNS name");
    const len = buf[off];
    if ((len & 0xc0) === 0xc0) return off + 2;
    if (len === 0) return off + 1;
    off += len + 1;
  }
}

/** Reads an uncompressed name (TSIG algorithm names are never compressed). */
function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  for (;;) {
    const len = buf[off];
    if (len === undefined || (len & 0xc0) !== 0) throw new Error("unexpected compressed name in TSIG");
    if (len === 0) return { name: labels.join(".").toLowerCase(), end: off + 1 };
    labels.push(buf.toString("ascii", off + 1, off + 1 + len));
    off += len + 1;
  }
}

export interface ParsedReply {
  id: number;
  rcode: number;
  tsig?: {
    /** Offset where the TSIG record starts (the reply before it is what the MAC covers). */
    start: number;
    algorithm: string;
    timeSigned: number;
    fudge: number;
    mac: Buffer;
    originalId: number;
    error: number;
    other: Buffer;
  };
}

export function parseReply(buf: Buffer): ParsedReply {
  if (buf.length < 12) throw new Error(`reply too short (${buf.length} bytes)`);
  const id = buf.readUInt16BE(0);
  const rcode = buf.readUInt16BE(2) & 0x0f;
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < counts[0]; i++) off = skipName(buf, off) + 4;
  const records = counts[1] + counts[2] + counts[3];
  let tsig: ParsedReply["tsig"];
  for (let i = 0; i < records; i++) {
    const start = off;
    off = skipName(buf, off);
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rdStart = off + 10;
    off = rdStart + rdlen;
    if (off > buf.length) throw new Error("truncated DNS record");
    if (type === TYPE_TSIG && i === records - 1) {
      const alg = readName(buf, rdStart);
      let p = alg.end;
      const timeSigned = buf.readUIntBE(p, 6);
      const fudge = buf.readUInt16BE(p + 6);
      const macLen = buf.readUInt16BE(p + 8);
      p += 10;
      const mac = buf.subarray(p, p + macLen);
      p += macLen;
      const originalId = buf.readUInt16BE(p);
      const error = buf.readUInt16BE(p + 2);
      const otherLen = buf.readUInt16BE(p + 4);
      const other = buf.subarray(p + 6, p + 6 + otherLen);
      tsig = { start, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other };
    }
  }
  return { id, rcode, tsig };
}

/** Checks the reply's TSIG (RFC 8945 section 5.3): signed with our key, over our request MAC. */
export function verifyReply(buf: Buffer, reply: ParsedReply, key: TsigKey, requestMac: Buffer): boolean {
  const t = reply.tsig;
  if (!t || t.algorithm !== key.algorithm || t.mac.length === 0) return false;
  const unsigned = Buffer.from(buf.subarray(0, t.start));
  unsigned.writeUInt16BE(t.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const expected = hmac(key, [u16(requestMac.length), requestMac, unsigned, tsigVariables(key, t.timeSigned, t.fudge, t.error, t.other)]);
  const { timingSafeEqual } = require("node:crypto") as typeof import("node:crypto");
  return expected.length === t.mac.length && timingSafeEqual(expected, t.mac);
}
