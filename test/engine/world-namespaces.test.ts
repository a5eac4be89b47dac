// deleteNamespace frees the namespace's name and its host-side veth (<name>-p) by the
// time it returns. The kernel tears a namespace down only when nothing holds it any
// more (a process still exiting, an open fd), and the veth's host end goes with it,
// later: a connect that reused the name at once met "File exists" on `ip link add`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { runOk } from "../lib/exec";
import { waitFor } from "../lib/wait";
import { deleteNamespace } from "./world/network";

const skip = process.getuid?.() !== 0 ? "needs root (namespaces)" : false;
const NS = "vs-t1";

describe("world namespaces", { skip, concurrency: false }, () => {
  const holders: ReturnType<typeof spawn>[] = [];
  after(async () => {
    for (const h of holders) h.kill("SIGKILL");
    await deleteNamespace(NS);
  });

  test("deleteNamespace: the host end of the veth is gone while something still holds the namespace, and the name can be reused at once", async () => {
    await runOk(["ip", "netns", "add", NS]);
    await runOk(["ip", "link", "add", `${NS}-p`, "type", "veth", "peer", "name", "eth0", "netns", NS]);
    // A process outside the namespace holding it open, as a slow exit would.
    const holder = spawn("sh", ["-c", `exec 3</run/netns/${NS}; echo held; exec sleep 600`], { stdio: ["ignore", "pipe", "ignore"] });
    holders.push(holder);
    let out = "";
    holder.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes("held"), { timeoutMs: 10_000, what: "the holder opened the namespace" });

    await deleteNamespace(NS);
    assert.ok(!existsSync(`/sys/class/net/${NS}-p`), `${NS}-p outlived deleteNamespace`);
    await runOk(["ip", "netns", "add", NS]);
    await runOk(["ip", "link", "add", `${NS}-p`, "type", "veth", "peer", "name", "eth0", "netns", NS]);
  });
});
