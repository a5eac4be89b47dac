// One escaper per output format. Every user-controlled value (names, passwords,
// hostnames, SSIDs) goes through the function for the format it lands in.

/** A double-quoted swanctl.conf / strongswan.conf string (the settings lexer's escapes). */
export function swanString(s: string): string {
  if (/[\r\n\t\0]/.test(s)) throw new Error("control characters cannot appear in swanctl.conf values");
  return `"${s.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

/**
 * A swanctl secret as hex. swanctl reads `0x...` as hex and `0s...` as base64, so a
 * plain password starting with either would be mangled; hex is always unambiguous.
 */
export function swanSecret(s: string): string {
  return `0x${Buffer.from(s, "utf8").toString("hex")}`;
}

/** A single-quoted PowerShell string: only the quote doubles (including typographic quotes PowerShell also accepts). */
export function psQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (m) => m + m)}'`;
}

/** A GLib key-file (NetworkManager .nmconnection) value: escape backslash and leading/trailing space. */
export function keyfileValue(s: string): string {
  if (/[\r\n\0]/.test(s)) throw new Error("line breaks cannot appear in keyfile values");
  let out = s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t");
  if (out.startsWith(" ")) out = `\\s${out.slice(1)}`;
  return out;
}

/**
 * A FreeRADIUS single-quoted string (users file, radiusd.conf): taken literally, no
 * %{...} expansion; with `correct_escapes = true` only \' and \\ are escapes.
 * https://www.freeradius.org/documentation/freeradius-server/3.2.1/reference/unlang/single-quotes.html
 */
export function radiusSingleQuoted(s: string): string {
  if (/[\x00-\x1f\x7f]/.test(s)) throw new Error("control characters cannot appear in a FreeRADIUS string");
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
