// The RFC 2136 client's wire format and TSIG, checked against an independent
// implementation of RFC 8945's MAC rules written here (BIND checks it for real in
// the acme tier).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { buildUpdate, encodeName, parseReply, signMessage, TsigKey, txtRdata, verifyReply } from "../../components/acme/solvers/tsig";

const KEY: TsigKey = { name: "acme-key", algorithm: "hmac-sha256", secret: Buffer.from("0123456789abcdef0123456789abcdef") };
const NOW = 1_800_000_000;

describe("DNS UPDATE wire format", () => {
  it("names are lowercase, uncompressed, root-terminated", () => {
    assert.deepEqual(encodeName("Vpn.Example.COM."), Buffer.from("\x03vpn\x07example\x03com\x00", "latin1"));
  });

  it("TXT values are split into strings of at most 255 bytes", () => {
    const rd = txtRdata("a".repeat(300));
    assert.equal(rd[0], 255);
    assert.equal(rd[256], 45);
    assert.equal(rd.length, 302);
    assert.deepEqual(txtRdata(""), Buffer.from([0]));
  });

  it("header, zone section and the three update kinds (RFC 2136 2.5)", () => {
    const msg = buildUpdate(0x1234, "example.com", [
      { op: "add", name: "_acme-challenge.vpn.example.com", value: "v1", ttl: 60 },
      { op: "delete", name: "_acme-challenge.vpn.example.com", value: "v1" },
      { op: "deleteAll", name: "_acme-challenge.vpn.example.com" },
    ]);
    assert.equal(msg.readUInt16BE(0), 0x1234);
    assert.equal(msg.readUInt16BE(2), 0x2800, "opcode UPDATE, not a response");
    assert.deepEqual(
      [4, 6, 8, 10].map((o) => msg.readUInt16BE(o)),
      [1, 0, 3, 0],
    );
    const zone = encodeName("example.com");
    assert.deepEqual(msg.subarray(12, 12 + zone.length), zone);
    assert.equal(msg.readUInt16BE(12 + zone.length), 6, "zone type SOA");
    const name = encodeName("_acme-challenge.vpn.example.com");
    let off = 12 + zone.length + 4;
    const classes: number[] = [];
    const ttls: number[] = [];
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(msg.subarray(off, off + name.length), name);
      off += name.length;
      assert.equal(msg.readUInt16BE(off), 16, "type TXT");
      classes.push(msg.readUInt16BE(off + 2));
      ttls.push(msg.readUInt32BE(off + 4));
      off += 10 + msg.readUInt16BE(off + 8);
    }
    assert.deepEqual(classes, [1, 254, 255], "IN adds, NONE deletes one value, ANY deletes the set");
    assert.deepEqual(ttls, [60, 0, 0]);
    assert.equal(off, msg.length);
  });
});

/** What a server does to sign its reply (RFC 8945 4.3.1 / 5.3), written independently. */
function serverSign(reply: Buffer, requestMac: Buffer, key: TsigKey, time: number): Buffer {
  const name = encodeName(key.name);
  const alg = encodeName(key.algorithm);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
  const time48 = Buffer.alloc(6);
  time48.writeUIntBE(time, 0, 6);
  const vars = Buffer.concat([name, u16(255), Buffer.alloc(4), alg, time48, u16(300), u16(0), u16(0)]);
  const mac = createHmac("sha256", key.secret)
    .update(Buffer.concat([u16(requestMac.length), requestMac, reply, vars]))
    .digest();
  const rdata = Buffer.concat([alg, time48, u16(300), u16(mac.length), mac, reply.subarray(0, 2), u16(0), u16(0)]);
  const rr = Buffer.concat([name, u16(250), u16(255), Buffer.alloc(4), u16(rdata.length), rdata]);
  const out = Buffer.concat([reply, rr]);
  out.writeUInt16BE(reply.readUInt16BE(10) + 1, 10);
  return out;
}

describe("TSIG", () => {
  const unsigned = buildUpdate(0x4242, "example.com", [{ op: "add", name: "_acme-challenge.vpn.example.com", value: "v" }]);
  const { signed, mac } = signMessage(unsigned, KEY, NOW);

  it("signs the request: HMAC over the message and the TSIG variables, one more additional record", () => {
    assert.equal(signed.readUInt16BE(10), 1);
    const parsed = parseReply(signed);
    assert.equal(parsed.tsig?.algorithm, "hmac-sha256");
    assert.equal(parsed.tsig?.timeSigned, NOW);
    assert.equal(parsed.tsig?.fudge, 300);
    assert.equal(parsed.tsig?.originalId, 0x4242);
    const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
    const time48 = Buffer.alloc(6);
    time48.writeUIntBE(NOW, 0, 6);
    const vars = Buffer.concat([encodeName(KEY.name), u16(255), Buffer.alloc(4), encodeName(KEY.algorithm), time48, u16(300), u16(0), u16(0)]);
    assert.deepEqual(
      mac,
      createHmac("sha256", KEY.secret)
        .update(Buffer.concat([unsigned, vars]))
        .digest(),
    );
    assert.deepEqual(parsed.tsig?.mac, mac);
  });

  it("accepts a reply signed over our request MAC; rejects tampering, another key, or no signature", () => {
    const header = Buffer.from(unsigned.subarray(0, 12));
    header.writeUInt16BE(0xa800, 2);
    header.fill(0, 4);
    const reply = serverSign(header, mac, KEY, NOW + 1);
    assert.equal(verifyReply(reply, parseReply(reply), KEY, mac), true);
    const tampered = Buffer.from(reply);
    tampered[3] ^= 0x05; // rcode bits
    assert.equal(verifyReply(tampered, parseReply(tampered), KEY, mac), false);
    const otherKey = { ...KEY, secret: Buffer.from("another secret of the same size!") };
    const forged = serverSign(header, mac, otherKey, NOW + 1);
    assert.equal(verifyReply(forged, parseReply(forged), KEY, mac), false);
    assert.equal(verifyReply(header, parseReply(header), KEY, mac), false);
    const wrongRequest = serverSign(header, Buffer.alloc(32), KEY, NOW + 1);
    assert.equal(verifyReply(wrongRequest, parseReply(wrongRequest), KEY, mac), false);
  });
});
