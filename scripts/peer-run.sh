#!/usr/bin/env bash
# Runs a command inside the peer root (scripts/peer-root.sh) with bubblewrap, sharing with the host what the
# peers need to meet the engine: /tmp and /dev/shm (AF_UNIX paths, POSIX shared memory and semaphores), the
# network namespace (abstract sockets, 127.0.0.1), the repository (same path inside), and the .NET install
# read-only (the framework-dependent engine and CLI run inside; the root has no ICU, hence invariant globalization).
#
#   scripts/peer-run.sh [--no-dotnet] [--bind PATH]... [--] COMMAND [ARGS...]
#
# --no-dotnet leaves the .NET install out (proves that something, e.g. a Native AOT wheel, needs no .NET).
# --bind PATH shares one more host folder at the same path. The working directory and the environment are kept,
# except PATH (the root's own, plus .NET's folder) and PYTHONHOME. PYTHONPATH is kept: repo folders are the same
# inside, and the symlinks of .cache/pyshim into /usr/lib/python3/dist-packages resolve to the root's packages.
# The command dies with its caller (--die-with-parent); its exit status is the command's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${MULTIPROCESS_PEER_ROOT:-$here/.cache/peer-root}

dotnet=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-dotnet) dotnet=0; shift ;;
    --bind) extra+=(--bind "$2" "$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: scripts/peer-run.sh [--no-dotnet] [--bind PATH]... [--] COMMAND [ARGS...]" >&2; exit 2; }

if [ ! -f "$root/.peer-root-complete" ]; then
  echo "peer-run: no peer root at $root (CPython 3.14, multiprocess 0.70.19): build it with scripts/setup.sh or scripts/peer-root.sh" >&2
  # What the last attempt said (scripts/setup.sh keeps it), e.g. that the apt mirror cannot be reached.
  last="$(dirname "$root")/peer-root.err"
  [ -s "$last" ] && grep '^peer-root: ' "$last" | tail -n 1 | sed 's/^/peer-run: last attempt: /' >&2
  exit 1
fi
command -v bwrap >/dev/null || { echo "peer-run: bubblewrap (bwrap) is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

args=(--bind "$root" / --dev /dev --bind /dev/shm /dev/shm --proc /proc --bind /tmp /tmp
      --bind "$here" "$here" --die-with-parent
      --setenv PATH /usr/local/bin:/usr/bin:/bin --unsetenv PYTHONHOME)
if [ "$dotnet" = 1 ]; then
  dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
  args+=(--ro-bind "$dotnet_root" "$dotnet_root" --setenv DOTNET_ROOT "$dotnet_root"
         --setenv PATH "/usr/local/bin:/usr/bin:/bin:$dotnet_root"
         --setenv DOTNET_SYSTEM_GLOBALIZATION_INVARIANT 1)
else
  args+=(--unsetenv DOTNET_ROOT)
fi
# The caller's folder when it exists inside (the repo, /tmp); else the repo.
cwd=$PWD
case "$cwd" in
  "$here"|"$here"/*|/tmp|/tmp/*) ;;
  *) cwd=$here ;;
esac
args+=(--chdir "$cwd")
exec bwrap "${args[@]}" "${extra[@]}" -- "$@"
