# Sourced by scripts/up.sh, scripts/test-all.sh, the sandbox demo and
# .github/workflows/test-all.yml: find the Pulumi CLI where an installed CLI lives,
# install it and the provider plugins the official way where the internet is
# reachable. Nothing here builds anything.
#   find_pulumi      sets PULUMI (and PATH) or returns 1
#   install_pulumi   the official installer, bounded; sets PULUMI_INSTALL_ERROR on failure
#   install_plugins  `pulumi plugin install` for each provider SDK in node_modules, at its version
#   missing_plugins  prints "name version" for every provider plugin not installed

# The CLI version matching the pinned @pulumi/pulumi SDK.
pulumi_sdk_version() {
  node -p 'require("./node_modules/@pulumi/pulumi/package.json").version' 2>/dev/null || node -p 'require("./package.json").dependencies["@pulumi/pulumi"]'
}

find_pulumi() {
  local home_bin="${PULUMI_HOME:-$HOME/.pulumi}/bin"
  if command -v pulumi >/dev/null 2>&1; then
    PULUMI=$(command -v pulumi)
  elif [ -x "$home_bin/pulumi" ]; then
    PULUMI="$home_bin/pulumi"
  else
    return 1
  fi
  # The language host and the dynamic-provider shim live next to the binary.
  case ":$PATH:" in *":$(dirname "$PULUMI"):"*) ;; *) PATH="$(dirname "$PULUMI"):$PATH" ;; esac
  export PATH PULUMI
}

install_pulumi() {
  PULUMI_INSTALL_ERROR=""
  local version script
  version=$(pulumi_sdk_version)
  if ! command -v curl >/dev/null 2>&1; then PULUMI_INSTALL_ERROR="curl is not installed"; return 1; fi
  if ! script=$(curl -fsSL --connect-timeout 10 --max-time 60 https://get.pulumi.com 2>&1); then
    PULUMI_INSTALL_ERROR="cannot download the installer from get.pulumi.com: ${script##*curl: }"
    return 1
  fi
  if ! printf '%s\n' "$script" | timeout 300 sh -s -- --version "$version" --install-root "${PULUMI_HOME:-$HOME/.pulumi}" --no-edit-path >&2; then
    PULUMI_INSTALL_ERROR="the Pulumi installer failed"
    return 1
  fi
  find_pulumi || { PULUMI_INSTALL_ERROR="the installer ran but no pulumi binary is in ~/.pulumi/bin"; return 1; }
}

# "name version" of every provider SDK the program depends on (package.json "pulumi" block).
provider_plugins() {
  node -e '
    const deps = Object.keys(require("./package.json").dependencies);
    for (const d of deps) {
      let p; try { p = require(`./node_modules/${d}/package.json`); } catch { continue; }
      if (p.pulumi && p.pulumi.resource) console.log(p.pulumi.name || d.replace(/^@pulumi\//, ""), p.pulumi.version || p.version);
    }'
}

missing_plugins() {
  local installed name version
  installed=$("$PULUMI" plugin ls 2>/dev/null | awk '$2 == "resource" { print $1, $3 }')
  provider_plugins | while read -r name version; do
    printf '%s\n' "$installed" | grep -qxF "$name $version" || echo "$name $version"
  done
}

install_plugins() {
  PULUMI_INSTALL_ERROR=""
  local name version out
  while read -r name version; do
    [ -n "$name" ] || continue
    if ! out=$(timeout 300 "$PULUMI" plugin install resource "$name" "$version" 2>&1); then
      PULUMI_INSTALL_ERROR="pulumi plugin install resource $name $version: $(printf '%s' "$out" | tail -n 1)"
      return 1
    fi
  done <<<"$(missing_plugins)"
}
