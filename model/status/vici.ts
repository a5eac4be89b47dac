// Decoding strongSwan's vici wire format (the status script's perl client prints
// each packet it receives as hex). Why binary and not `swanctl --raw`: libvici's
// dump prints every printable value unescaped (vici_message.c, dump()), so a
// peer-chosen IKE identity holding spaces or braces would make the text ambiguous
// and could forge a "user"; the binary encoding is length-prefixed and cannot be.
// Format: strongSwan src/libcharon/plugins/vici/README.md ("Packet layer",
// "Message format").
//
// Why hand-written: strongSwan maintains vici clients for Python (the `vici` package),
// Ruby, Perl and Go (govici), none for Node; the npm registry has no vici client
// (`vici`, `node-vici`, `strongswan-vici`, `vici-client`: not found, December 2026).
// The decoder is small (six element types, length-prefixed) and runs on the
// operator's machine, on hex the server printed, so nothing needs to be installed.

/** Packet types (README "Packet layer"). */
export const PACKET = {
  CMD_REQUEST: 0,
  CMD_RESPONSE: 1,
  CMD_UNKNOWN: 2,
  EVENT_REGISTER: 3,
  EVENT_UNREGISTER: 4,
  EVENT_CONFIRM: 5,
  EVENT_UNKNOWN: 6,
  EVENT: 7,
} as const;
const NAMED = new Set<number>([PACKET.CMD_REQUEST, PACKET.EVENT_REGISTER, PACKET.EVENT_UNREGISTER, PACKET.EVENT]);

/** Message element types (README "Message format"). */
const SECTION_START = 1;
const SECTION_END = 2;
const KEY_VALUE = 3;
const LIST_START = 4;
const LIST_ITEM = 5;
const LIST_END = 6;

export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}

export interface ViciPacket {
  type: number;
  name?: string;
  message: ViciSection;
}

/**
 * A value as text: UTF-8 when it is valid UTF-8 (the vici plugin sends strings,
 * numbers as decimal text), else latin1 so that no byte is lost.
 */
function text(buf: Buffer): string {
  const s = buf.toString("utf8");
  return Buffer.from(s, "utf8").equals(buf) ? s : buf.toString("latin1");
}

/**
 * One packet (type byte, optional name, message), as the transport layer delivers
 * it without its length header. Values of `base64Keys` (binary blobs such as a
 * certificate's DER `data`) are returned base64-encoded.
 */
export function decodePacket(data: Buffer, opts: { base64Keys?: string[] } = {}): ViciPacket {
  let i = 0;
  const need = (n: number, what: string) => {
    if (i + n > data.length) throw new Error(`vici packet truncated reading ${what} at byte ${i} of ${data.length}`);
  };
  const u8 = (what: string) => {
    need(1, what);
    return data[i++];
  };
  const str8 = (what: string) => {
    const n = u8(`${what} length`);
    need(n, what);
    const s = data.subarray(i, i + n).toString("latin1");
    i += n;
    return s;
  };
  const blob16 = (what: string) => {
    need(2, `${what} length`);
    const n = data.readUInt16BE(i);
    i += 2;
    need(n, what);
    const b = data.subarray(i, i + n);
    i += n;
    return b;
  };
  const type = u8("packet type");
  const name = NAMED.has(type) ? str8("packet name") : undefined;
  const root: ViciSection = {};
  const stack: ViciSection[] = [root];
  let list: string[] | undefined;
  while (i < data.length) {
    const el = u8("element type");
    const top = stack[stack.length - 1];
    if (list && el !== LIST_ITEM && el !== LIST_END) throw new Error(`vici element ${el} inside a list`);
    switch (el) {
      case SECTION_START: {
        const key = str8("section name");
        const sec: ViciSection = {};
        top[key] = sec;
        stack.push(sec);
        break;
      }
      case SECTION_END:
        if (stack.length === 1) throw new Error("vici section end without a section");
        stack.pop();
        break;
      case KEY_VALUE: {
        const key = str8("key");
        const value = blob16(`value of ${key}`);
        top[key] = opts.base64Keys?.includes(key) ? value.toString("base64") : text(value);
        break;
      }
      case LIST_START: {
        const key = str8("list name");
        list = [];
        top[key] = list;
        break;
      }
      case LIST_ITEM:
        if (!list) throw new Error("vici list item outside a list");
        list.push(text(blob16("list item")));
        break;
      case LIST_END:
        if (!list) throw new Error("vici list end outside a list");
        list = undefined;
        break;
      default:
        throw new Error(`unknown vici element type ${el} at byte ${i - 1}`);
    }
  }
  if (stack.length !== 1 || list) throw new Error("vici message ends inside a section or list");
  return { type, name, message: root };
}

export const str = (v: ViciValue | undefined): string | undefined => (typeof v === "string" ? v : undefined);
export const list = (v: ViciValue | undefined): string[] => (Array.isArray(v) ? v : typeof v === "string" ? [v] : []);
export const section = (v: ViciValue | undefined): ViciSection => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
/** A decimal counter; undefined when absent or not a number. */
export function num(v: ViciValue | undefined): number | undefined {
  const s = str(v);
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}
