#!/usr/bin/env bash
# Prepares a machine for building and testing: Debian packages (when missing and we are root), the .NET build,
# and the folder of symlinks that lets the pyenv interpreters use Debian's pytest (and multiprocess/dill).
# Idempotent; safe to run on every test run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

# python3-pytest & co: pytest for every pyenv interpreter; tox: the version matrix; python3-multiprocess and
# python3-dill: the `multiprocess` peer; exceptiongroup/tomli: pytest's own needs on 3.8–3.10; redis-server,
# rabbitmq-server, python3-celery, python3-redis, python3-amqp: the Celery interop tests (they start their own
# servers); gcc, zlib1g-dev and binutils: Native AOT's link step and the wheel's glibc floor (objdump);
# bubblewrap: the wheel's no-.NET test and, with debootstrap, the peer root of CPython 3.14 and multiprocess 0.70.19
# (scripts/peer-root.sh, scripts/peer-run.sh); chromium: the report's page test (headless, docs/report.md); afl++:
# the coverage-guided fuzzer (scripts/fuzz.sh, docs/fuzzing.md).
apt_packages=(python3-pytest python3-exceptiongroup python3-tomli tox python3-multiprocess python3-dill python3-pip python3-setuptools python3-wheel hyperfine
              redis-server rabbitmq-server python3-celery python3-kombu python3-redis python3-amqp gcc zlib1g-dev binutils bubblewrap debootstrap
              chromium afl++)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
    # The Celery tests start their own brokers on free ports: no system instance is left running by the install.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
      systemctl disable --now redis-server rabbitmq-server >/dev/null 2>&1 || true
    else
      for pidfile in /run/redis/redis-server.pid /var/lib/rabbitmq/mnesia/rabbit@*.pid; do
        [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
      done
    fi
  else
    echo "setup: missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# pytest from Debian under the pyenv interpreters (see docs/peers.md).
dist=/usr/lib/python3/dist-packages
shim="$here/.cache/pyshim"
rm -rf "$shim"; mkdir -p "$shim/pytest" "$shim/multiprocess"
for m in pytest _pytest pluggy iniconfig packaging attr attrs py.py exceptiongroup tomli; do
  [ -e "$dist/$m" ] && ln -s "$dist/$m" "$shim/pytest/$m"
done
for m in multiprocess _multiprocess dill; do
  ln -s "$dist/$m" "$shim/multiprocess/$m"
done

# CPython 3.14 and multiprocess 0.70.19 live in a Debian testing root (built once into .cache/peer-root, reused
# afterwards). When it cannot be built (no mirror), setup goes on: the py314/mp314/shim314 envs then fail and say
# why (scripts/peer-run.sh prints the reason recorded here).
if ! bash scripts/peer-root.sh >/dev/null 2>"$here/.cache/peer-root.err"; then
  cat "$here/.cache/peer-root.err" >&2
  echo "setup: no peer root; the 3.14 envs will fail" >&2
fi

# The engine, the command and the tests, Release; the wheel; the native command.
if [ "${MULTIPROCESS_SKIP_BUILD:-0}" != 1 ]; then
  dotnet build Multiprocess.sln -c Release -nologo -v q -clp:NoSummary
  # The Python shim's wheel (engine published inside it): the shim envs of tox.ini install it.
  bash wheels/build.sh
  # The command as a native executable (issue 12), after the wheel so the engine's linux-x64 build is reused: its own
  # AOT compile, 56 s of CPU on top of the wheel's; interop-tests/test_cli_native.py runs it (py312, py314).
  bash scripts/publish-native-cli.sh
fi
