// The upstream host's "whoami" service (run inside the vs-up namespace by
// network.ts): answers every HTTP request with the caller's address, so a test
// sees whether it came through a tunnel (the instance's address / routed range)
// or directly. Plain JS: started with `node`, no ts-node start-up cost.
"use strict";
const { createServer } = require("node:http");

const port = Number(process.argv[2] || 80);
createServer((req, res) => {
  const addr = (req.socket.remoteAddress || "").replace(/^::ffff:/, "");
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`${addr}\n`);
}).listen({ port, host: "::", ipv6Only: false });
