#!/usr/bin/env bash
# Runs a command inside the peer root (scripts/peer-root.sh), sharing with the host what the peers need to meet the
# engine: /tmp and /dev/shm (AF_UNIX paths, POSIX shared memory and semaphores), the network namespace (abstract
# sockets, 127.0.0.1), the repository (same path inside), and the .NET install read-only (the framework-dependent
# engine and CLI run inside; the root has no ICU, hence invariant globalization).
#
#   scripts/peer-run.sh [--no-dotnet] [--bind PATH]... [--] COMMAND [ARGS...]
#
# --no-dotnet leaves the .NET install out (proves that something, e.g. a Native AOT wheel, needs no .NET).
# --bind PATH shares one more host folder at the same path. The working directory and the environment are kept,
# except PATH (the root's own, plus .NET's folder) and PYTHONHOME. PYTHONPATH is kept: repo folders are the same
# inside, and the symlinks of .cache/pyshim into /usr/lib/python3/dist-packages resolve to the root's packages.
#
# As root (CI, scripts/setup.sh's machine) the command is entered by exec alone: unshare(1) gives this process a
# mount namespace of its own, the binds are mounted there, chroot(1) enters the root and the command replaces it. The
# process the caller started IS the command: its pid is the one the caller sees, and the caller reaps its real exit
# status (-9 for a SIGKILL), as with any other interpreter. A pool or process watcher that matches the pid a worker
# reports (os.getpid()) with the process it started needs exactly that (dotnet/tests/.../Pool/PoolTests.cs).
# Anyone else gets the same exec-only entry in a user namespace of their own (unshare --user --map-root-user: the
# command runs as uid 0 of that namespace, which is the caller's uid on the host; /proc is the host's, bound), so
# the pid and exit status are the command's there too. Only where unprivileged user namespaces are off (or with
# MULTIPROCESS_PEER_RUN_BWRAP=1) does bubblewrap (bwrap --die-with-parent) run it, and bwrap forks: the caller then
# sees bwrap's pid, and a command killed by signal N as bwrap's exit status 128+N (docs/versions.md).
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

# Already inside the root (a peer that starts another peer through this script, e.g. a benchmark driver and its
# peer): / is the root here, and a second unshare inside the chroot fails, so the command runs as it is.
if [ -f /.peer-root-complete ]; then
  exec /usr/bin/env -- "$@"
fi
if [ ! -f "$root/.peer-root-complete" ]; then
  echo "peer-run: no peer root at $root (CPython 3.14, multiprocess 0.70.19): build it with scripts/setup.sh or scripts/peer-root.sh" >&2
  # What the last attempt said (scripts/setup.sh keeps it), e.g. that the apt mirror cannot be reached.
  last="$(dirname "$root")/peer-root.err"
  [ -s "$last" ] && grep '^peer-root: ' "$last" | tail -n 1 | sed 's/^/peer-run: last attempt: /' >&2
  exit 1
fi
dotnet_root=
if [ "$dotnet" = 1 ]; then
  dotnet_root=${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}
fi
# The caller's folder when it exists inside (the repo, /tmp); else the repo.
cwd=$PWD
case "$cwd" in
  "$here"|"$here"/*|/tmp|/tmp/*) ;;
  *) cwd=$here ;;
esac

# Whether this user may make a user namespace (the kernel's switches; a probe would cost a process per call).
userns_allowed() {
  [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" != 0 ] &&
    [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" != 0 ]
}

if [ -z "${MULTIPROCESS_PEER_RUN_BWRAP:-}" ] && { [ "$(id -u)" = 0 ] || userns_allowed; }; then
  # Inside the new mount namespace (private propagation: nothing mounted here reaches the host), every step execs.
  # The binds go to folders of the root (created once, by root; a user namespace cannot create them in a root that
  # root owns). /proc is this pid namespace's own: mounted fresh as root, bound from the host in a user namespace
  # (which may not mount a procfs of a pid namespace it does not own).
  # shellcheck disable=SC2016
  enter='set -e
chroot=$1 r=$2 here=$3 dotnet_root=$4 cwd=$5 nextra=$6 real_root=$7; shift 7
# bind SRC [ro]: SRC at the same path inside. Mount points are made once, open to all (umask 022): a user namespace
# can neither make nor enter a folder of the root (root'"'"'s) that only root may open; that is an error that says so.
bind() {
  if ! [ -d "$r$1" ] && ! (umask 022 && mkdir -p "$r$1") 2>/dev/null; then
    if [ "$real_root" = 1 ]; then echo "peer-run: cannot make the mount point $r$1" >&2; exit 1; fi
    echo "peer-run: cannot make or open the mount point $1 in the peer root $r (its folders are root'"'"'s and must be open to all: a first run of scripts/peer-run.sh as root makes them so, or chmod go+rx the folders of $r$1)" >&2
    exit 1
  fi
  mount --bind "$1" "$r$1"
  if [ "${2:-}" = ro ]; then mount -o remount,bind,ro "$r$1"; fi
}
mount -t proc proc "$r/proc" 2>/dev/null || mount --rbind /proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --bind /tmp "$r/tmp"
bind "$here"
if [ -n "$dotnet_root" ]; then bind "$dotnet_root" ro; fi
while [ "$nextra" -gt 0 ]; do bind "$1"; shift; nextra=$((nextra - 1)); done
exec "$chroot" "$r" /usr/bin/env --chdir="$cwd" -- "$@"'
  chroot=$(PATH="$PATH:/usr/sbin:/sbin" command -v chroot)
  binds=()
  for ((i = 1; i < ${#extra[@]}; i += 3)); do binds+=("${extra[i]}"); done
  unset PYTHONHOME
  export PATH=/usr/local/bin:/usr/bin:/bin
  if [ -n "$dotnet_root" ]; then
    export DOTNET_ROOT=$dotnet_root PATH="$PATH:$dotnet_root" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
  else
    unset DOTNET_ROOT
  fi
  userns=() real_root=1
  [ "$(id -u)" = 0 ] || { userns=(--user --map-root-user); real_root=0; }
  exec unshare "${userns[@]}" --mount --propagation private -- /bin/sh -c "$enter" peer-run "$chroot" "$root" "$here" "$dotnet_root" "$cwd" \
    "${#binds[@]}" "$real_root" "${binds[@]}" "$@"
fi

command -v bwrap >/dev/null || { echo "peer-run: bubblewrap (bwrap) is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
if [ -z "${MULTIPROCESS_PEER_RUN_BWRAP:-}" ]; then
  echo "peer-run: unprivileged user namespaces are off here: bubblewrap runs the command, so the caller sees bwrap's pid, not the command's, and 128+N for a command killed by signal N (docs/versions.md)" >&2
fi
args=(--bind "$root" / --dev /dev --bind /dev/shm /dev/shm --proc /proc --bind /tmp /tmp
      --bind "$here" "$here" --die-with-parent
      --setenv PATH /usr/local/bin:/usr/bin:/bin --unsetenv PYTHONHOME)
if [ -n "$dotnet_root" ]; then
  args+=(--ro-bind "$dotnet_root" "$dotnet_root" --setenv DOTNET_ROOT "$dotnet_root"
         --setenv PATH "/usr/local/bin:/usr/bin:/bin:$dotnet_root"
         --setenv DOTNET_SYSTEM_GLOBALIZATION_INVARIANT 1)
else
  args+=(--unsetenv DOTNET_ROOT)
fi
args+=(--chdir "$cwd")
exec bwrap "${args[@]}" "${extra[@]}" -- "$@"
