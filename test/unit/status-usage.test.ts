// `npm run status -- --usage` and the users part of status: the remote lines that
// ask vpn-aaa (run here with sh and a stand-in vpn-aaa), their parsing, the sums
// per UTC day and month against the quota, the table, the document's new parts
// (absent unless asked or used, so a stack without the lifecycle prints what it
// always did), and docs/usage.md's example against a real document.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renewalWindowMs } from "../../components/acme/renewal";
import { parseStatusOutput } from "../../model/status/parse";
import { regionStatus, StackRegion } from "../../model/status/report";
import { renderStatusScript, usageScriptLines } from "../../model/status/script";
import { stackUsers } from "../../config/stackUsers";
import { renderStatusTable } from "../../model/status/table";
import { parseUsageJson, regionUsage } from "../../model/status/usage";
import { AAA_PATHS, RADIUS } from "../../model/server/aaa";
import { template } from "../../templates";
import { statusOf, withUsage } from "../../scripts/status";
import { stackView } from "../../scripts/status/stack";

const sample = (name: string) => readFileSync(join(__dirname, "status-samples", `${name}.txt`), "utf8");
const REGION: StackRegion = { region: "us-ord", hostname: "vpn.e2e.example.test", host: "203.0.113.10" };
const opts = { renewalWindowMs };

/** What vpn-aaa usage prints (templates/aaa/vpn-aaa.sh.ejs usage()), for a server whose clock says 2026-12-07. */
const USAGE = {
  days: [
    { user: "alice", day: "2026-11-30", bytesIn: 7_000_000_000, bytesOut: 1, seconds: 60 },
    { user: "alice", day: "2026-12-01", bytesIn: 1_000_000_000, bytesOut: 2_000_000_000, seconds: 3600 },
    { user: "alice", day: "2026-12-07", bytesIn: 500_000_000, bytesOut: 1_500_000_000, seconds: 1800 },
    { user: "olduser", day: "2026-12-02", bytesIn: 10, bytesOut: 20, seconds: 5 },
  ],
  sessions: { alice: 2 },
};

/** The sample status output with the usage line, before its end marker. */
function withUsageLine(value: string, base = sample("idle")): string {
  return base.replace(/^@@end 1$/m, `@@aaa-usage ${value}\n@@end 1`);
}

const CONFIG = stackUsers(
  { "vpn:users": [{ name: "alice", monthlyQuotaGB: 10, maxDevices: 2 }, "bob", { name: "carol", expires: "2026-12-10" }] },
  new Date("2026-12-07T12:00:00Z"),
);

test("the script asks vpn-aaa only with --usage; without it the script is what it always was", () => {
  assert.doesNotMatch(renderStatusScript(), /vpn-aaa|aaa-usage/);
  assert.equal(renderStatusScript({}), renderStatusScript({ usage: false }));
  assert.match(renderStatusScript({ usage: true }), /^if \[ -x \/usr\/local\/sbin\/vpn-aaa \]; then$/m);
  assert.match(renderStatusScript({ usage: true }), /@@%s %s[\s\S]*aaa-usage[\s\S]*^say end 1$/m);
});

test("the usage lines under sh: absent, the JSON base64 on one line, a failing vpn-aaa", () => {
  const dir = mkdtempSync(join(tmpdir(), "status-usage-"));
  const aaa = join(dir, "vpn-aaa");
  const run = () => {
    const script = ['say() { printf \'@@%s %s\\n\' "$1" "$2"; }', ...usageScriptLines(aaa)].join("\n");
    const r = spawnSync("sh", ["-c", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(run(), "@@aaa-usage -\n");
  writeFileSync(aaa, `#!/bin/sh\n[ "$1" = usage ] || exit 2\nprintf '%s\\n' '${JSON.stringify(USAGE)}'\n`);
  chmodSync(aaa, 0o755);
  const ok = run();
  assert.match(ok, /^@@aaa-usage [A-Za-z0-9+/=]+\n$/);
  assert.deepEqual(parseStatusOutput(withUsageLine(ok.slice(12).trim())).usage, { state: "ok", ...USAGE });
  writeFileSync(aaa, "#!/bin/sh\necho 'Error: database is locked' >&2\nexit 5\n");
  assert.equal(run(), "@@aaa-usage failed vpn-aaa usage exited 5\n");
});

test(
  "the real vpn-aaa usage (its template, SQLite with the schema's tables) prints what the parser reads",
  { skip: spawnSync("sh", ["-c", "command -v sqlite3"]).status === 0 ? false : "no sqlite3" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "status-aaa-"));
    const db = join(dir, "radius.sqlite");
    const schema = readFileSync(join(__dirname, "..", "..", "templates", "aaa", "schema.sql"), "utf8");
    const rows = "INSERT INTO vpn_usage_daily VALUES ('alice', '2026-12-07', 500000000, 1500000000, 1800), ('bob.smith', '2026-11-30', 1, 2, 3);";
    const init = spawnSync("sqlite3", [db], { input: `${schema}\n${rows}\n`, encoding: "utf8" });
    assert.equal(init.status, 0, init.stderr);
    const script = join(dir, "vpn-aaa");
    writeFileSync(script, template("aaa/vpn-aaa.sh.ejs")({ paths: { ...AAA_PATHS, database: db }, radius: RADIUS }));
    // No charon here: swanctl fails or is absent, so nobody is online.
    const r = spawnSync("sh", [script, "usage"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(parseUsageJson(r.stdout), {
      state: "ok",
      days: [
        { user: "alice", day: "2026-12-07", bytesIn: 500000000, bytesOut: 1500000000, seconds: 1800 },
        { user: "bob.smith", day: "2026-11-30", bytesIn: 1, bytesOut: 2, seconds: 3 },
      ],
      sessions: {},
    });
    // An empty table still prints a document.
    spawnSync("sqlite3", [db, "DELETE FROM vpn_usage_daily;"]);
    assert.deepEqual(parseUsageJson(spawnSync("sh", [script, "usage"], { encoding: "utf8" }).stdout), { state: "ok", days: [], sessions: {} });
  },
);

test("parse: absent, failed, unreadable JSON become states, never a parse failure of the whole status", () => {
  const b64 = (x: unknown) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64");
  assert.deepEqual(parseStatusOutput(withUsageLine("-")).usage, { state: "absent" });
  assert.deepEqual(parseStatusOutput(withUsageLine("failed vpn-aaa usage exited 5")).usage, { state: "failed", reason: "vpn-aaa usage exited 5" });
  assert.deepEqual(parseStatusOutput(withUsageLine(b64("not json"))).usage, { state: "failed", reason: "vpn-aaa usage did not print JSON" });
  assert.match(
    (
      parseStatusOutput(withUsageLine(b64({ days: [{ user: "a", day: "2026-12-07", bytesIn: -1, bytesOut: 0, seconds: 0 }], sessions: {} }))).usage as {
        reason: string;
      }
    ).reason,
    /days\[0\] is not/,
  );
  assert.equal(parseStatusOutput(sample("idle")).usage, undefined);
});

test("sums: the server's UTC day and month, quota in 10^9 bytes, stack users without usage listed, the history kept whole", () => {
  const now = Date.parse("2026-12-07T23:59:59Z") / 1000;
  const u = regionUsage(parseUsageJson(JSON.stringify(USAGE)), now, { alice: 10, bob: null, carol: null });
  assert.equal(u.today, "2026-12-07");
  assert.equal(u.month, "2026-12");
  assert.deepEqual(
    u.users.map((x) => x.user),
    ["alice", "bob", "carol", "olduser"],
  );
  const alice = u.users[0];
  assert.deepEqual(alice.today, { bytesIn: 500_000_000, bytesOut: 1_500_000_000, seconds: 1800 });
  // November's day is not in December's month.
  assert.deepEqual(alice.month, { bytesIn: 1_500_000_000, bytesOut: 3_500_000_000, seconds: 5400 });
  assert.equal(alice.sessions, 2);
  assert.equal(alice.monthlyQuotaBytes, 10_000_000_000);
  assert.equal(alice.quotaUsedPercent, 50);
  assert.deepEqual(u.users[1], {
    user: "bob",
    sessions: 0,
    today: { bytesIn: 0, bytesOut: 0, seconds: 0 },
    month: { bytesIn: 0, bytesOut: 0, seconds: 0 },
    monthlyQuotaBytes: null,
    quotaUsedPercent: null,
  });
  assert.equal(u.days.length, 4);
  // One second later it is the 8th: today is empty, the month still counts.
  const next = regionUsage(parseUsageJson(JSON.stringify(USAGE)), now + 1, { alice: 10 });
  assert.equal(next.users[0].today.bytesIn, 0);
  assert.equal(next.users[0].month.bytesIn, 1_500_000_000);
});

function reachable(usageLine: string | undefined) {
  // The captured sample's clock, moved to the day the usage above calls today.
  const facts = { ...parseStatusOutput(usageLine === undefined ? sample("idle") : withUsageLine(usageLine)), now: Date.parse("2026-12-07T12:00:00Z") / 1000 };
  const s = regionStatus(REGION, facts, opts);
  return { facts, s };
}

test("the region with --usage: usage, or null and a warning that says why; without --usage nothing changes", () => {
  const b64 = Buffer.from(JSON.stringify(USAGE)).toString("base64");
  const ok = reachable(b64);
  assert.equal(withUsage(ok.s, ok.facts, { usage: false }), ok.s);
  const withIt = withUsage(ok.s, ok.facts, { usage: true, stackUsers: CONFIG });
  assert.equal(withIt.usage?.users.find((x) => x.user === "alice")?.monthlyQuotaBytes, 10_000_000_000);
  assert.deepEqual(withIt.warnings, ok.s.warnings);
  const absent = reachable("-");
  const none = withUsage(absent.s, absent.facts, { usage: true });
  assert.equal(none.usage, null);
  assert.match(none.warnings[none.warnings.length - 1], /^this server keeps no usage: the stack uses no expires, maxDevices/);
  const failed = reachable("failed vpn-aaa usage exited 5");
  assert.match(
    withUsage(failed.s, failed.facts, { usage: true }).warnings.at(-1)!,
    /^could not read the usage kept on this server \(vpn-aaa usage exited 5\)$/,
  );
});

test("the table: a usage block per region, the users from the stack config with their expiry, and the warnings", () => {
  const b64 = Buffer.from(JSON.stringify(USAGE)).toString("base64");
  const ok = reachable(b64);
  const region = withUsage(ok.s, ok.facts, { usage: true, stackUsers: CONFIG });
  const now = new Date("2026-12-07T12:00:00Z");
  const text = renderStatusTable(
    { schema: 1, stack: "dev", regions: [region], users: CONFIG.users, warnings: ["user carol expires on 2026-12-10 00:00 UTC (in 2 days): ..."] },
    now,
  );
  assert.match(text, /^ {2}usage \(UTC, today 2026-12-07, month 2026-12; /m);
  assert.match(text, /^ {4}USER +DEVICES +TODAY IN +TODAY OUT +TODAY TIME +MONTH IN +MONTH OUT +MONTH TIME +MONTHLY QUOTA$/m);
  assert.match(text, /^ {4}alice +2 +477 MiB +1\.4 GiB +30m 0s +1\.4 GiB +3\.3 GiB +1h 30m +5\.00 GB of 10\.0 GB \(50%\)$/m);
  assert.match(text, /^ {4}bob +0 +0 B .* -$/m);
  assert.match(text, /^users \(stack config, times in UTC\):$/m);
  assert.match(text, /^ {2}alice +- +2 +10 GB +active$/m);
  assert.match(text, /^ {2}carol +2026-12-10 00:00 UTC \(in 2 days\) +unlimited +- +active$/m);
  assert.match(text, /^ {2}! user carol expires on 2026-12-10/m);
  // No users part and no usage: exactly the regions, as before.
  const plain = renderStatusTable({ schema: 1, stack: "dev", regions: [ok.s] });
  assert.doesNotMatch(plain, /usage|users \(stack/);
  assert.ok(text.startsWith(plain.replace(/\n$/, "").split("\n").slice(0, 3).join("\n")));
});

test("the document: users and warnings only for a stack with the lifecycle (or --usage); unreachable regions get usage null", async () => {
  // No pinned host key: reported without any SSH connection.
  const view = stackView({ servers: { "br-gru": { host: "192.0.2.2", user: "root", privateKey: "x", hostKey: "" } } }, "stack dev");
  const now = new Date("2026-12-07T12:00:00Z");
  const plain = stackUsers({ "vpn:users": ["alice"] }, now);
  assert.deepEqual(Object.keys(await statusOf(view, { stackUsers: plain, now })), ["schema", "stack", "regions"]);
  const doc = await statusOf(view, { stackUsers: CONFIG, now });
  assert.deepEqual(
    doc.users?.map((u) => u.user),
    ["alice", "bob", "carol"],
  );
  assert.deepEqual(doc.warnings, [
    "user carol expires on 2026-12-10 00:00 UTC (in 2 days): after that the server ends their sessions and refuses their logins",
  ]);
  assert.equal(doc.regions[0].usage, undefined);
  const usage = await statusOf(view, { stackUsers: plain, now, usage: true });
  assert.deepEqual(
    usage.users?.map((u) => u.user),
    ["alice"],
  );
  assert.equal(usage.regions[0].usage, null);
  const broken = await statusOf(view, { stackUsersError: "pulumi config failed for stack dev: boom", now });
  assert.deepEqual(broken.warnings, ["users: could not read the stack config (pulumi config failed for stack dev: boom)"]);
});

test("the command: the stack config's users after the regions, --usage --json with usage null for a region not reached", () => {
  const dir = mkdtempSync(join(tmpdir(), "status-cli-"));
  const outputs = join(dir, "outputs.json");
  const config = join(dir, "config.json");
  // A region without a pinned host key: reported, never connected to, so no SSH here.
  writeFileSync(outputs, JSON.stringify({ servers: { "br-gru": { host: "192.0.2.2", user: "root", privateKey: "x", hostKey: "" } } }));
  const users = [
    { name: "alice", maxDevices: 2 },
    { name: "bob", expires: "2020-01-01" },
  ];
  writeFileSync(
    config,
    JSON.stringify({ "vpn:users": { value: JSON.stringify(users), objectValue: users, secret: false }, "vpn:passwords": { secret: true } }),
  );
  const status = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        "--require",
        require.resolve("ts-node/register/transpile-only"),
        join(__dirname, "..", "..", "scripts", "status.ts"),
        "--outputs-json",
        outputs,
        "--config-json",
        config,
        ...args,
      ],
      { encoding: "utf8", env: { ...process.env, TS_NODE_PROJECT: join(__dirname, "..", "..", "tsconfig.json") } },
    );
  const table = status();
  assert.equal(table.status, 1, table.stderr);
  assert.match(table.stdout, /^users \(stack config, times in UTC\):\n {2}USER +EXPIRES/m);
  assert.match(table.stdout, /^ {2}bob +2020-01-01 00:00 UTC \(passed\) +unlimited +- +EXPIRED$/m);
  assert.match(table.stdout, /^ {2}! user bob expired on 2020-01-01 00:00 UTC/m);
  const json = JSON.parse(status("--usage", "--json").stdout) as { regions: { usage: unknown }[]; users: { user: string }[] };
  assert.equal(json.regions[0].usage, null);
  assert.deepEqual(
    json.users.map((u) => u.user),
    ["alice", "bob"],
  );
});

test("docs/usage.md: the example has exactly the fields of a real document's users and usage", () => {
  function keyPaths(v: unknown, at = ""): Set<string> {
    const out = new Set<string>();
    if (Array.isArray(v)) for (const x of v) for (const p of keyPaths(x, `${at}[]`)) out.add(p);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        out.add(`${at}.${k}`);
        for (const p of keyPaths(x, `${at}.${k}`)) out.add(p);
      }
    return out;
  }
  const doc = readFileSync(join(__dirname, "..", "..", "docs", "usage.md"), "utf8");
  const block = /```jsonc\n([\s\S]*?)\n```/.exec(doc)?.[1];
  assert.ok(block, "docs/usage.md has the JSON example");
  const example = JSON.parse(block.replace(/\/\/[^\n]*/g, "")) as { users: unknown; warnings: unknown; regions: { usage: unknown }[] };
  const ok = reachable(Buffer.from(JSON.stringify(USAGE)).toString("base64"));
  const region = withUsage(ok.s, ok.facts, { usage: true, stackUsers: CONFIG });
  const real = { users: CONFIG.users, warnings: ["x"], regions: [{ usage: region.usage }] };
  const shown = { users: example.users, warnings: example.warnings, regions: example.regions.map((r) => ({ usage: r.usage })) };
  assert.deepEqual([...keyPaths(shown)].sort(), [...keyPaths(real)].sort());
});
