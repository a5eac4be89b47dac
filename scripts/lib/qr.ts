// QR codes of share links, with the maintained `qrcode` package (soldair/node-qrcode):
// a PNG to send or print, and the same code drawn in the terminal. Error correction
// M (15 %): a photographed screen or a creased print still reads.
import * as QRCode from "qrcode";

const OPTIONS = { errorCorrectionLevel: "M" } as const;

export function qrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { ...OPTIONS, type: "png", margin: 4, scale: 8 });
}

export function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { ...OPTIONS, type: "terminal", small: true });
}
