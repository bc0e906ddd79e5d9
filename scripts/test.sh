#!/usr/bin/env bash
# Runs every test: the .NET suites (NUnit) and the interop suites (pytest, once per CPython 3.8–3.14 and once
# per `multiprocess` peer, through tox; 3.14 and multiprocess 0.70.19 run inside the peer root, scripts/peer-run.sh). Ends with one line `N passed, N failed, N skipped` and exits
# non-zero when anything failed or nothing ran.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

source scripts/pythons.sh || { echo "0 passed, 1 failed"; exit 1; }
logs="$here/.cache/test-logs"; rm -rf "$logs"; mkdir -p "$logs"
status=0

echo "== .NET tests (a test that hangs for 8 minutes is aborted and named: --blame-hang-timeout)"
# PIPESTATUS is read in the same statement as the pipeline: any later command (even the `true` of `|| true` after a
# grep that matched nothing) resets it, and a failing suite would then read as exit 0.
dotnet test Multiprocess.sln -c Release --no-build -nologo --blame-hang-timeout 8m --blame-hang-dump-type none 2>&1 | tee "$logs/dotnet.log" | grep -E "^\s*(Failed|Skipped) |Passed!|Failed!|error"; dotnet_rc=${PIPESTATUS[0]}
[ "$dotnet_rc" = 0 ] || status=1

echo "== interop tests (tox: ${TOXENV:-all envs})"
VIRTUALENV_NO_SEED=1 tox -c tox.ini ${TOX_ARGS:-} 2>&1 | tee "$logs/tox.log" | grep -E "^(py|mp|shim)[0-9]*[: ]|passed|failed|error|ERROR"; tox_rc=${PIPESTATUS[0]}
[ "$tox_rc" = 0 ] || status=1

# The runners' exit codes go to the summary too: a runner that failed without a countable failure (a crashed test
# host, a tox env that died before pytest's closing line) still shows as failed in the closing line.
python3 scripts/summarize.py --exit "dotnet=$dotnet_rc" --exit "tox=$tox_rc" "$logs/dotnet.log" "$logs/tox.log" || status=1
exit $status
