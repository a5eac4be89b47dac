#!/usr/bin/env node
// A tiny TCP service for the upstream namespace: it answers every connection
// with the address it came from, so a client sees how it reached the upstream
// (NATed to the host's address, or with its own routed IPv6 address).
//   node whoami.js serve PORT           prints "listening" once ready
//   node whoami.js ask ADDRESS PORT MS  prints the answer; exit 1 on error or timeout
"use strict";
const net = require("node:net");

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "serve") {
  const server = net.createServer((sock) => {
    sock.end(`${sock.remoteAddress.replace(/^::ffff:/, "")}\n`);
  });
  server.listen({ port: Number(a), host: "::", ipv6Only: false }, () => console.log("listening"));
} else if (mode === "ask") {
  let answer = "";
  const sock = net.connect({ host: a, port: Number(b) });
  sock.setTimeout(Number(c), () => {
    console.error("timeout");
    process.exit(1);
  });
  sock.on("data", (d) => (answer += d));
  sock.on("end", () => {
    process.stdout.write(answer);
    process.exit(answer ? 0 : 1);
  });
  sock.on("error", (err) => {
    console.error(err.message);
    process.exit(1);
  });
} else {
  console.error("usage: whoami.js serve PORT | ask ADDRESS PORT TIMEOUT_MS");
  process.exit(2);
}
