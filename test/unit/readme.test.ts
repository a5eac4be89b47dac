// The README is a guide (about 200 lines: cost, prerequisites with the token's scopes and
// the DNS delegation, the two commands with `npm test` shown, devices, users, status,
// sandbox, GitOps, tear-down, troubleshooting); reference material lives in docs/*.md.
// Every relative link of the README and docs/ resolves to a file and, with #anchor, to a
// heading there; nothing points readers at a tracker they cannot see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(__dirname, "..", "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => join(ROOT, "docs", f));

/** Headings outside code fences. */
export function headings(md: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of md.split("\n")) {
    if (/^```/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6} +(.+?)\s*$/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (not - or _), spaces to -. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

/** [text](target) links outside code fences and inline code. */
function links(md: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of md.split("\n")) {
    if (/^```/.test(line)) fence = !fence;
    if (fence) continue;
    for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]);
  }
  return out;
}

test("the README is a guide of about 200 lines with the sections a newcomer needs, in order", () => {
  const lines = README.split("\n").length;
  assert.ok(lines <= 240, `README has ${lines} lines; reference material belongs in docs/`);
  const want = [
    "What it costs",
    "Prerequisites",
    "The two commands",
    "Onboarding a device",
    "Users: add, remove, rotate",
    "Lost a phone? Someone left?",
    "Who is online: `npm run status`",
    "Try it locally: the sandbox",
    "Teams and GitOps",
    "Tearing down",
    "Troubleshooting",
  ];
  const have = headings(README);
  const at = want.map((h) => have.indexOf(h));
  assert.ok(
    at.every((i) => i >= 0),
    `missing: ${want.filter((_, i) => at[i] < 0).join(", ")}`,
  );
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    "in this order",
  );
});

test("the README states the token's scopes, how to delegate the domain, the cost, and shows both commands", () => {
  assert.match(README, /Domains, Linodes, Firewalls,\s+IPs: Read\/Write; Events: Read Only/);
  assert.match(README, /ns1\.linode\.com/);
  assert.match(README, /POST https:\/\/api\.linode\.com\/v4\/domains/);
  assert.match(README, /US\$5 a month/);
  assert.match(README, /^npm test$/m, "npm test on a line of its own");
  assert.match(README, /^\.\/scripts\/test-all\.sh$/m);
  assert.match(README, /^\.\/scripts\/up\.sh mystack$/m);
  assert.match(README, /^scripts\/sandbox\.sh demo /m);
  assert.match(README, /npm run users -- rotate <user> --stack mystack/);
  assert.match(README, /\]\(docs\/gitops\.md\)/);
});

test("every relative link in the README and docs/ reaches a file, and its #anchor a heading there", () => {
  const problems: string[] = [];
  for (const file of [join(ROOT, "README.md"), ...DOCS]) {
    const text = readFileSync(file, "utf8");
    for (const link of links(text)) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path, hash] = link.split("#");
      const target = path ? resolve(dirname(file), path) : file;
      const where = `${relative(ROOT, file)}: ${link}`;
      if (!existsSync(target)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      if (hash !== undefined && target.endsWith(".md")) {
        const anchors = new Set(headings(readFileSync(target, "utf8")).map(anchor));
        if (!anchors.has(hash)) problems.push(`${where}: no heading with anchor #${hash}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("no reference to an issue number of our tracker in the README or docs/", () => {
  for (const file of [join(ROOT, "README.md"), ...DOCS]) {
    const text = readFileSync(file, "utf8").replace(/[\w.-]+\/[\w.-]+(?:#| issue )\d+/g, ""); // owner/repo#N upstream references are public
    assert.doesNotMatch(text, /\b[Ii]ssue #?\d+/, relative(ROOT, file));
  }
});

test("the anchor rule is GitHub's", () => {
  assert.equal(anchor("Who is online: `npm run status`"), "who-is-online-npm-run-status");
  assert.equal(anchor("Apple kill switch (`vpn:appleKillSwitch`)"), "apple-kill-switch-vpnapplekillswitch");
  assert.equal(anchor("Lost a phone? Someone left?"), "lost-a-phone-someone-left");
});
