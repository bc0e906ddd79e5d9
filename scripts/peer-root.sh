#!/usr/bin/env bash
# Builds, once, the Debian root that holds the peers the host image lacks: CPython 3.14 (with its own test suite)
# and `multiprocess` 0.70.19 + dill 0.4.x, from Debian testing (sid when testing cannot be built). The root lives
# in the repo's ignored .cache/peer-root/ (or $MULTIPROCESS_PEER_ROOT); scripts/peer-run.sh runs commands inside it.
# A root that is already complete is reused. Needs root (debootstrap) and the apt mirror of the image.
# Prints the root's folder on stdout; on failure says why (unreachable mirror, missing debootstrap) and exits 1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${MULTIPROCESS_PEER_ROOT:-$here/.cache/peer-root}
# python3.14-venv: ensurepip, so the shim's tests install the wheel into a fresh 3.14 environment (shim314);
# bubblewrap: the shim's no-.NET test hides .NET with a nested bwrap.
packages=python3.14,python3.14-venv,libpython3.14-testsuite,python3-multiprocess,python3-dill,python3-pytest,bubblewrap
stamp="$root/.peer-root-complete"

# A complete root built with this package list is reused; one built with another list is rebuilt.
if [ -f "$stamp" ] && grep -qxF "packages=$packages" "$stamp"; then
  echo "$root"
  exit 0
fi

fail() { echo "peer-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "building $root needs root (debootstrap); run scripts/setup.sh as root"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (scripts/setup.sh installs it)"

# The image's own mirror: the first URIs: line of its deb822 sources (the security archive has no testing/sid).
mirror=${MULTIPROCESS_PEER_MIRROR:-}
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^(http|https|file):/) {print $i; exit}}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || fail "no apt mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set MULTIPROCESS_PEER_MIRROR)"

# Bookworm's debootstrap knows no `forky`: the sid script bootstraps testing as well (same layout, same keyring).
script=/usr/share/debootstrap/scripts/sid
[ -f "$script" ] || fail "debootstrap has no sid script at $script"

mkdir -p "$(dirname "$root")"
log="$(dirname "$root")/peer-root.log"
: >"$log"
for suite in testing unstable; do
  work="$root.building"
  rm -rf "$work"
  echo "peer-root: debootstrap $suite from $mirror into $root (log: $log)" >&2
  start=$(date +%s)
  if debootstrap --variant=minbase --include="$packages" "$suite" "$work" "$mirror" "$script" >>"$log" 2>&1; then
    # Nothing inside needs the apt cache, and the caches are most of a root's size.
    rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/lib/apt/lists/*_Packages
    "$work/usr/bin/python3.14" -c 1 2>/dev/null || chroot "$work" python3.14 -c 1 \
      || fail "the $suite root was built but its python3.14 does not start (see $log)"
    rm -rf "$root"
    mv "$work" "$root"
    {
      echo "packages=$packages"
      echo "suite=$suite"
      echo "mirror=$mirror"
      echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start ))s"
      chroot "$root" dpkg-query -W python3.14 python3-multiprocess python3-dill python3-pytest python3.14-venv
    } >"$stamp"
    echo "peer-root: built $root ($suite) in $(( $(date +%s) - start ))s" >&2
    echo "$root"
    exit 0
  fi
  echo "peer-root: debootstrap $suite failed; last lines of $log:" >&2
  tail -n 5 "$log" >&2
  rm -rf "$work"
done
if grep -qiE "Failed getting release file|Could not resolve|Temporary failure|Connection (refused|timed out)|unable to fetch" "$log"; then
  fail "the apt mirror $mirror cannot be reached, so CPython 3.14 and multiprocess 0.70.19 (tox envs py314, mp314, shim314) are missing (see $log)"
fi
fail "could not build a Debian testing or sid root from $mirror (see $log)"
