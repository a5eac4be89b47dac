// npm run share -- --stack <name> --user <user> [--region <id>] [--ttl 1h] [--png <file>]
// npm run share -- --stack <name> --list [--region <id>] [--json]
// npm run share -- --stack <name> --revoke <prefix|user> [--region <id>]
// One-time HTTPS links to a user's profiles, served by the VPN server itself
// (model/server/share.ts). Links are created, listed and revoked only over the
// pinned SSH connection (scripts/status/ssh.ts); the token travels on ssh's stdin,
// never on a command line. The link is printed with its QR code and written as a
// PNG (0600): the token is a secret, printed only here and never logged.
import { randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { SHARE_PATHS, TOKEN_BYTES } from "../model/server/share";
import { DEFAULT_TTL_SECONDS, LiveLink, linkBundle, linkUrl, parseLinkList, parseTtl, tokenFromBytes, tokenPrefix } from "../model/share/link";
import { USER_NAME_RE } from "../config/validate";
import { utcMinute } from "../model/expiryWarnings";
import { CommandSpec, runCli, UsageError, usageLine } from "./lib/cli";
import { qrPng, qrTerminal } from "./lib/qr";
import { isProfiles, stackOutputs } from "./profiles";
import { runRemote, ServerAccess } from "./status/ssh";
import { readOutputsFile, readStackOutputs, StackView, stackView } from "./status/stack";

const SPEC: CommandSpec = {
  name: "share",
  synopsis: "--stack <name> (--user <user> [--region <id>] [--ttl 24h] [--png <file>] | --list [--json] | --revoke <prefix|user>)",
  about: `Hands a user's profiles to their device: a one-time HTTPS link served by the
VPN server (nginx on 443 with the stack's certificate), printed with its QR code
and written as a PNG (0600). The page offers the device's profile first; each
file can be fetched once, and the link ends at --ttl (default 24h, at most 7d),
once every file was fetched, or at --revoke. --list shows the live links (the
token's first characters only, never all of it) and what was fetched.
Needs vpn:shareLinks (on by default) and a deployed stack.`,
  options: [
    { flag: "--stack", value: "<name>", text: "the Pulumi stack (reads its secret outputs servers and profiles)", required: true },
    { flag: "--user", value: "<user>", text: "make a link for this user" },
    { flag: "--region", value: "<id>", text: "the region whose server serves the link (default: the first); with --list/--revoke: only this region" },
    { flag: "--ttl", value: "<time>", text: "how long the link lives: 30m, 1h, 2d ... (default 24h, at most 7d)" },
    { flag: "--png", value: "<file>", text: "where to write the QR code (default share-<user>-<region>.png, mode 0600)" },
    { flag: "--list", text: "the live links of every region" },
    { flag: "--revoke", value: "<prefix|user>", text: "end the links whose token starts with <prefix> (4+ characters), or all of <user>'s" },
    { flag: "--json", text: "--list as JSON" },
    // Test hook: the stack outputs as a JSON file instead of the Pulumi CLI.
    { flag: "--outputs-json", value: "<file>", text: "", hidden: true },
  ],
  exitOk: "the link was made, listed or revoked",
  exitFailed: "a server could not be reached or refused (share links off: vpn:shareLinks false), or the Pulumi CLI is missing or failed",
};

const PREFIX_RE = /^[A-Za-z0-9_-]{4,24}$/;
/** The script's answer when the server has no vpn-share (vpn:shareLinks: false). */
const OFF_STATUS = 3;

function remoteCommand(args: string): string {
  return `[ -x ${SHARE_PATHS.script} ] || { echo "share links are off on this server" >&2; exit ${OFF_STATUS}; }; exec ${SHARE_PATHS.script} ${args}`;
}

async function onServer(region: string, access: ServerAccess, args: string, stdin?: string): Promise<string> {
  const r = await runRemote(access, remoteCommand(args), { timeoutMs: 60_000, ...(stdin !== undefined ? { stdin } : {}) });
  if (!r.ok) throw new Error(`${region}: ${r.reason}`);
  if (r.code === OFF_STATUS) throw new Error(`${region}: share links are off on this server (vpn:shareLinks: false); set it to true and run pulumi up`);
  if (r.code !== 0) throw new Error(`${region}: vpn-share ${args.split(" ")[0]} failed: ${r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`}`);
  return r.stdout;
}

/** The stack outputs: with `profiles` (every secret shown) to make a link; otherwise only `servers` is read with secrets. */
function readOutputs(opts: Record<string, string | true>, withProfiles: boolean): Record<string, unknown> {
  const file = opts["outputs-json"];
  if (typeof file === "string") return readOutputsFile(file);
  return withProfiles ? stackOutputs(opts.stack as string) : readStackOutputs(opts.stack as string);
}

function regionsOf(view: StackView, only: string | undefined): string[] {
  const all = Object.keys(view.servers).sort();
  if (only === undefined) return all;
  if (!all.includes(only)) throw new UsageError(`no region ${only} in this stack (regions: ${all.join(", ") || "none"})`);
  return [only];
}

async function create(opts: Record<string, string | true>, stack: string): Promise<void> {
  const user = opts.user as string;
  if (!USER_NAME_RE.test(user)) throw new UsageError(`--user must be a user name of the stack, got ${JSON.stringify(user)}`);
  const ttl = opts.ttl === undefined ? DEFAULT_TTL_SECONDS : parseTtl(String(opts.ttl));
  if (typeof ttl !== "number") throw new UsageError(ttl.error);
  const outputs = readOutputs(opts, true);
  const view = stackView(outputs, `stack ${stack}`);
  if (!isProfiles(outputs.profiles)) throw new Error(`stack ${stack} has no \`profiles\` output; run \`pulumi up\` first`);
  const byRegion = outputs.profiles[user];
  if (!byRegion) throw new UsageError(`no user ${user} in stack ${stack} (users: ${Object.keys(outputs.profiles).sort().join(", ")})`);
  const [region] = regionsOf(view, typeof opts.region === "string" ? opts.region : undefined);
  if (region === undefined) throw new Error(`stack ${stack} has no server with a pinned host key yet; run \`pulumi up\``);
  const set = byRegion[region];
  const hostname = view.regions[region]?.hostname;
  if (!set || !hostname) throw new Error(`stack ${stack} has no profiles of ${user} for ${region}; run \`pulumi up\``);
  const token = tokenFromBytes(randomBytes(TOKEN_BYTES));
  const expires = Math.floor(Date.now() / 1000) + ttl;
  await onServer(region, view.servers[region], "add", linkBundle({ token, user, region, hostname, expires, set }));
  const url = linkUrl(hostname, token);
  const png = typeof opts.png === "string" ? opts.png : `share-${user}-${region}.png`;
  writeFileSync(png, await qrPng(url), { mode: 0o600 });
  chmodSync(png, 0o600); // an existing file keeps its mode otherwise
  const until = utcMinute(new Date(expires * 1000).toISOString());
  process.stdout.write(
    [
      `One-time link for ${user} (${region}, ${hostname}), until ${until}; each file can be fetched once:`,
      "",
      `  ${url}`,
      "",
      await qrTerminal(url),
      `QR code: ${png} (0600)`,
      `Revoke: npm run share -- --stack ${stack} --revoke ${tokenPrefix(token)}`,
      "",
    ].join("\n"),
  );
}

function table(links: LiveLink[]): string {
  if (links.length === 0) return "no live share links\n";
  const rows = [
    ["REGION", "LINK", "USER", "EXPIRES (UTC)", "FETCHED"],
    ...links.map((l) => [
      l.region,
      `${l.prefix}…`,
      l.user,
      l.expires.replace("T", " ").replace(/:\d\dZ$/, ""),
      `${l.fetched.length}/${l.files.length}${l.fetched.length ? ` (${l.fetched.join(", ")})` : ""}`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n") + "\n";
}

async function list(opts: Record<string, string | true>, stack: string): Promise<void> {
  const view = stackView(readOutputs(opts, false), `stack ${stack}`);
  const links: LiveLink[] = [];
  for (const region of regionsOf(view, typeof opts.region === "string" ? opts.region : undefined))
    links.push(...parseLinkList(region, await onServer(region, view.servers[region], "list")));
  process.stdout.write(opts.json ? `${JSON.stringify({ links }, null, 2)}\n` : table(links));
}

async function revoke(opts: Record<string, string | true>, stack: string): Promise<void> {
  const what = String(opts.revoke);
  if (!PREFIX_RE.test(what) && !USER_NAME_RE.test(what))
    throw new UsageError(`--revoke takes a link's first characters (4 or more, as --list shows them) or a user name, got ${JSON.stringify(what)}`);
  const view = stackView(readOutputs(opts, false), `stack ${stack}`);
  let total = 0;
  for (const region of regionsOf(view, typeof opts.region === "string" ? opts.region : undefined)) {
    const out = await onServer(region, view.servers[region], `revoke '${what}'`);
    total += Number(/revoked (\d+)/.exec(out)?.[1] ?? 0);
  }
  process.stdout.write(total === 0 ? `no live link matched ${what}\n` : `revoked ${total} link(s) matching ${what}; they answer 404 from now on\n`);
}

async function main(opts: Record<string, string | true>): Promise<number> {
  const stack = opts.stack as string;
  const modes = ["user", "list", "revoke"].filter((k) => opts[k] !== undefined);
  if (modes.length !== 1) throw new UsageError(`give exactly one of --user, --list or --revoke (${usageLine(SPEC)})`);
  if (opts.list) await list(opts, stack);
  else if (opts.revoke !== undefined) await revoke(opts, stack);
  else await create(opts, stack);
  return 0;
}

// Help, errors and exit statuses: the shared scripts/lib/cli.ts.
if (require.main === module) runCli(SPEC, main);
