#!/usr/bin/env bash
# Opens, or adds to, the one open issue "Drift on stack <STACK>" with the drift
# report (GitHub CLI, preinstalled on GitHub-hosted runners; GH_TOKEN and GH_REPO
# from the workflow: https://cli.github.com/manual/gh_issue_create).
#   STACK=<stack> scripts/gitops/drift-issue.sh drift-report.md
set -euo pipefail
: "${STACK:?STACK names the stack}"
report="${1:-drift-report.md}"
title="Drift on stack ${STACK}"
number="$(gh issue list --state open --search "in:title \"${title}\"" --json number,title \
  --jq ".[] | select(.title == \"${title}\") | .number" | head -n 1)"
if [ -n "$number" ]; then
  gh issue comment "$number" --body-file "$report"
  echo "drift: added to issue #$number"
else
  gh issue create --title "$title" --body-file "$report"
fi
