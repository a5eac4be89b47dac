# Sourced by test/<tier>/setup.sh (root, Debian). `install_missing PKG...` installs
# the packages that are not installed yet, waiting for the dpkg lock, and keeps
# their services from starting while it does: the tests start their own daemons
# (in namespaces, on loopback) and want no host-wide strongswan, named or iperf3.
install_missing() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -n "$missing" ] || return 0
  # A temporary policy-rc.d, removed again unless one was already there.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary: test setup keeps services from starting\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  trap '[ -z "$own_policy" ] || rm -f "$policy"' EXIT
  echo "installing:$missing"
  apt-get -o DPkg::Lock::Timeout=600 -q update
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends $missing
  [ -z "$own_policy" ] || rm -f "$policy"
  trap - EXIT
}
