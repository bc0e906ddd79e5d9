#!/usr/bin/env bash
# Runs every test: the .NET suites (NUnit), a short run of every fuzz target (docs/fuzzing.md), and the interop
# suites (pytest, once per CPython 3.8–3.14 and once per `multiprocess` peer, through tox, two envs at a time; 3.14
# and multiprocess 0.70.19 run inside the peer root, scripts/peer-run.sh),
# then writes the report (artifacts/report/index.html: conformance matrix from the run's JUnit XML, benchmark ratio
# charts; docs/report.md) and checks it in headless Chromium. Ends with one line `N passed, N failed, N skipped` and
# exits non-zero when anything failed or nothing ran.
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
# Every assembly writes JUnit XML for the report; the report's own page test runs last, once the report exists.
junit="$logs/junit"
dotnet test Multiprocess.sln -c Release --no-build -nologo --blame-hang-timeout 8m --blame-hang-dump-type none --filter "TestCategory!=Report" --logger "junit;LogFilePath=$junit/dotnet-{assembly}.xml" 2>&1 | tee "$logs/dotnet.log" | grep -E "^\s*(Failed|Skipped) |Passed!|Failed!|error"; dotnet_rc=${PIPESTATUS[0]}
[ "$dotnet_rc" = 0 ] || status=1

echo "== fuzzing (scripts/fuzz.sh: ${MULTIPROCESS_FUZZ_SECONDS:-6} s per target; docs/fuzzing.md)"
# Built with the solution above; a crash or hang found is saved under dotnet/tests/Multiprocess.Fuzz/regressions/.
MULTIPROCESS_SKIP_BUILD=1 bash scripts/fuzz.sh "${MULTIPROCESS_FUZZ_SECONDS:-6}" 2>&1 | tee "$logs/fuzz.log" | grep -E "^fuzz|passed|failed"; fuzz_rc=${PIPESTATUS[0]}
[ "$fuzz_rc" = 0 ] || status=1

# The envs run two at a time (TOX_PARALLEL, docs/testing.md): each env's output is printed whole when it ends
# (parallel_show_output in tox.ini), so every pytest closing line stays one line; an env that dies is named in tox's
# closing summary ("parallel child exit code N"), which scripts/summarize.py counts as a failure.
echo "== interop tests (tox: ${TOXENV:-all envs}, ${TOX_PARALLEL:-2} at a time)"
TOX_PARALLEL_NO_SPINNER=1 VIRTUALENV_NO_SEED=1 tox -c tox.ini -p "${TOX_PARALLEL:-2}" ${TOX_ARGS:-} 2>&1 | tee "$logs/tox.log" | grep -E "^(py|mp|shim|shimmp)[0-9]*[: ]|(OK|FAIL|SKIP) ?\]? (py|mp|shim|shimmp)[0-9]+ in |passed|failed|error|ERROR"; tox_rc=${PIPESTATUS[0]}
[ "$tox_rc" = 0 ] || status=1

echo "== report (artifacts/report/index.html) and its page test in headless Chromium"
report="$here/artifacts/report"; rm -rf "$report"
dotnet dotnet/benchmarks/Multiprocess.Benchmarks/bin/Release/net10.0/multiprocess-bench.dll report --out "$report" --junit "$junit" 2>&1 | tee "$logs/report.log"
MULTIPROCESS_REPORT_DIR="$report" MULTIPROCESS_JUNIT_DIR="$junit" dotnet test dotnet/tests/Multiprocess.Tests -c Release --no-build -nologo --filter "TestCategory=Report" 2>&1 | tee -a "$logs/report.log" | grep -E "^\s*(Failed|Skipped) |Passed!|Failed!|error"; report_rc=${PIPESTATUS[0]}
[ "$report_rc" = 0 ] || status=1

# The runners' exit codes go to the summary too: a runner that failed without a countable failure (a crashed test
# host, a tox env that died before pytest's closing line) still shows as failed in the closing line.
python3 scripts/summarize.py --exit "dotnet=$dotnet_rc" --exit "fuzz=$fuzz_rc" --exit "tox=$tox_rc" --exit "report=$report_rc" "$logs/dotnet.log" "$logs/fuzz.log" "$logs/tox.log" "$logs/report.log" || status=1
exit $status
