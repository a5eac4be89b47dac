// Which ESP implementation the tunnels in the tests use. A stock kernel has ESP
// (XFRM); some (like CI's) are built without it, so charon must do ESP in
// userspace with the kernel-libipsec plugin. Detected, never assumed: an ESP SA
// with the cipher our modern suites use is added in a throwaway namespace.
import { randomBytes } from "node:crypto";
import { NS_PREFIX, trackNamespace, untrackNamespace } from "./cleanup";
import { run } from "./exec";

export type EspBackend = "kernel" | "libipsec";

let cached: EspBackend | undefined;

/** E2E_ESP=kernel|libipsec overrides the detection (e.g. to measure libipsec on a kernel with ESP). */
export async function detectEspBackend(): Promise<EspBackend> {
  const forced = process.env.E2E_ESP;
  if (forced === "kernel" || forced === "libipsec") return forced;
  if (cached) return cached;
  const ns = `${NS_PREFIX}${process.pid}x0-esp`;
  trackNamespace(ns);
  try {
    await run(["ip", "netns", "add", ns]);
    const key = `0x${randomBytes(36).toString("hex")}`; // AES-256 key + 4-byte salt
    const res = await run([
      "ip",
      "-n",
      ns,
      "xfrm",
      "state",
      "add",
      "src",
      "192.0.2.1",
      "dst",
      "192.0.2.2",
      "proto",
      "esp",
      "spi",
      "0x1000",
      "mode",
      "tunnel",
      "aead",
      "rfc4106(gcm(aes))",
      key,
      "128",
    ]);
    cached = res.code === 0 ? "kernel" : "libipsec";
  } finally {
    await run(["ip", "netns", "delete", ns]);
    untrackNamespace(ns);
  }
  return cached;
}
