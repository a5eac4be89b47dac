#!/usr/bin/env bash
# Drift check: refresh from the Linode API, then compare with the program, changing
# nothing (`pulumi preview --refresh --expect-no-changes`; the DIY backend takes no
# lock for a preview, so read-only credentials suffice:
# https://www.pulumi.com/docs/iac/cli/commands/pulumi_preview/).
#   STACK=<stack> scripts/gitops/drift.sh [report.md]
# Exit 0: the resources are as the stack says. Exit 1: drift; the report (default
# drift-report.md) names every resource the refresh found changed or the next `up`
# would change. Exit 2: the check itself failed (no report of drift is made up).
set -uo pipefail
: "${STACK:?STACK names the stack to check}"
report="${1:-drift-report.md}"
json="$(mktemp)"
errs="$(mktemp)"
trap 'rm -f "$json" "$errs"' EXIT

pulumi preview --refresh --expect-no-changes --json --non-interactive --stack "$STACK" >"$json" 2>"$errs"
status=$?
# --json prints the whole plan even when --expect-no-changes fails: the steps say
# what drifted. Anything else (no JSON, an error diagnostic) is a failed check.
node - "$json" "$report" "$STACK" "$status" <<'JS'
const fs = require("node:fs");
const [file, report, stack, status] = process.argv.slice(2);
let doc;
try {
  doc = JSON.parse(fs.readFileSync(file, "utf8"));
} catch {
  console.error(`drift: pulumi preview printed no plan (exit ${status})`);
  process.exit(2);
}
const errors = (doc.diagnostics ?? []).filter((d) => d.severity === "error" && !/no changes were expected/i.test(d.message ?? ""));
if (errors.length) {
  for (const d of errors) console.error(`drift: ${String(d.message).trim()}`);
  process.exit(2);
}
// "vpn:index:VpnRegion$linode:index/firewall:Firewall" -> the resource's own type.
const name = (urn) => `${urn.split("::")[2].split("$").pop()} ${urn.split("::").pop()}`;
const rows = [];
for (const s of doc.steps ?? []) {
  if (s.op === "same" || s.op === "read") continue;
  // A refresh step that found the resource unchanged is not drift.
  if (s.op === "refresh" && !(s.diffReasons?.length || s.detailedDiff && Object.keys(s.detailedDiff).length)) continue;
  const keys = [...new Set([...(s.diffReasons ?? []), ...Object.keys(s.detailedDiff ?? {})])];
  rows.push(`| ${s.op} | \`${name(s.urn)}\` | ${keys.map((k) => `\`${k}\``).join(", ")} |`);
}
const unique = [...new Set(rows)];
if (unique.length === 0 && status === "0") {
  console.log(`drift: none on stack ${stack}`);
  process.exit(0);
}
if (unique.length === 0) {
  console.error(`drift: pulumi preview failed (exit ${status}) without naming a change`);
  process.exit(2);
}
const text = [
  `Drift on stack \`${stack}\`: the Linode resources differ from what the stack says.`,
  "",
  "| step | resource | properties |",
  "| --- | --- | --- |",
  ...unique,
  "",
  "Either put Linode back with `pulumi up --refresh` (a plain `up` compares with the stale state and changes nothing), or change the stack to match and merge it.",
  "",
].join("\n");
fs.writeFileSync(report, text);
console.log(text);
process.exit(1);
JS
