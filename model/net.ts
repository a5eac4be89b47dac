// Small, dependency-free IPv4/IPv6 arithmetic. Only what validation and the pool
// layout need: parse, CIDR membership, overlap, canonical text.
import { isIP } from "node:net";

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Network address as an unsigned integer. */
  base: bigint;
  prefix: number;
  text: string;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) {
    const parts = text.split(".").map(Number);
    return { family, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (family === 6) {
    if (text.includes(".")) return undefined; // embedded IPv4 notation: not needed here
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
    return { family, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  return undefined;
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join(".");
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Parses `addr/prefix`. With `strict`, host bits must be zero. */
export function parseCidr(text: string, strict = true): Cidr | { error: string } {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  if (!m) return { error: "is not in CIDR notation (address/prefix)" };
  const ip = parseIp(m[1]);
  if (!ip) return { error: "does not start with a valid IPv4 or IPv6 address" };
  const prefix = Number(m[2]);
  const bits = BITS[ip.family];
  if (prefix > bits) return { error: `has a prefix longer than /${bits}` };
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if (strict && (ip.value & hostMask) !== 0n) {
    const net = formatIp(ip.family, ip.value & ~hostMask);
    return { error: `has host bits set (did you mean ${net}/${prefix}?)` };
  }
  const base = ip.value & ~hostMask;
  return { family: ip.family, base, prefix, text: `${formatIp(ip.family, base)}/${prefix}` };
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}

export function cidrContains(c: Cidr, family: Family, value: bigint): boolean {
  return c.family === family && value >= c.base && value < c.base + cidrSize(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

export function mustCidr(text: string): Cidr {
  const c = parseCidr(text);
  if ("error" in c) throw new Error(`${text} ${c.error}`);
  return c;
}
