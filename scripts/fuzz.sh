#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine's parsers with AFL++ through SharpFuzz (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     each target (default: all) for SECONDS (default 60) of fuzzing
#
# Builds dotnet/tests/Multiprocess.Fuzz (unless MULTIPROCESS_SKIP_BUILD=1), copies it to .cache/fuzz/bin and
# instruments the engine's assemblies there (the sharpfuzz tool, from NuGet, into .cache/tools); the build output
# itself stays uninstrumented. Each target starts from its seeds (well-formed messages, the golden vectors) plus the
# saved inputs in dotnet/tests/Multiprocess.Fuzz/regressions/TARGET/. Every crash or hang AFL++ finds is copied
# there (named by its SHA-1), where FuzzRegressionTests replays it under `dotnet test` from then on.
# Ends with `N passed, N failed` (one per target: failed when it found a crash or hang, or could not run).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
seconds=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
work="$here/.cache/fuzz"
regressions="$here/dotnet/tests/Multiprocess.Fuzz/regressions"
project=dotnet/tests/Multiprocess.Fuzz
fail() { echo "fuzz: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

command -v afl-fuzz >/dev/null || fail "afl-fuzz is not installed (scripts/setup.sh installs Debian's afl++)"
if [ "${MULTIPROCESS_SKIP_BUILD:-0}" != 1 ]; then
  dotnet build "$project" -c Release -nologo -v q -clp:NoSummary >/dev/null || fail "the build of $project failed"
fi
sharpfuzz="$here/.cache/tools/sharpfuzz"
if [ ! -x "$sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$here/.cache/tools" >/dev/null \
    || fail "could not install the sharpfuzz tool (SharpFuzz.CommandLine 2.3.0 from NuGet)"
fi
rm -rf "$work/bin"; mkdir -p "$work"
cp -r "$project/bin/Release/net10.0" "$work/bin" || fail "no build output in $project/bin/Release/net10.0"
for dll in Multiprocess.dll Multiprocess.Pickle.dll; do
  "$sharpfuzz" "$work/bin/$dll" >/dev/null || fail "could not instrument $dll"
done
# The instrumented copy only runs under afl-fuzz (its probes write to AFL's shared map); seeds come from the build.
fuzz=(dotnet "$work/bin/multiprocess-fuzz.dll")
plain=(dotnet "$project/bin/Release/net10.0/multiprocess-fuzz.dll")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("${plain[@]}" list | awk '{print $1}')

# AFL++ on a shared machine, driving dotnet (not an instrumented ELF): no CPU binding or governor check, no core
# dump handler required, a patient first start of the runtime, a plain status line instead of the screen.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_FORKSRV_INIT_TMOUT=60000 AFL_FAST_CAL=1 AFL_IGNORE_SEED_PROBLEMS=1
passed=0; failed=0
for target in "${targets[@]}"; do
  dir="$work/$target"; rm -rf "$dir"; mkdir -p "$dir/in"
  if ! "${plain[@]}" seeds "$target" "$dir/in" "$here" >/dev/null; then
    echo "fuzz $target: FAILED (no seeds)"; failed=$((failed + 1)); continue
  fi
  [ -d "$regressions/$target" ] && cp "$regressions/$target"/* "$dir/in/" 2>/dev/null
  afl-fuzz -V "$seconds" -i "$dir/in" -o "$dir/out" -t 2000 -m none -- "${fuzz[@]}" run "$target" >"$dir/afl.log" 2>&1
  rc=$?
  stats="$dir/out/default/fuzzer_stats"
  if [ $rc != 0 ] || [ ! -f "$stats" ]; then
    echo "fuzz $target: FAILED (afl-fuzz exited $rc; the end of $dir/afl.log:)"; tail -n 15 "$dir/afl.log" | sed 's/^/    /'
    failed=$((failed + 1)); continue
  fi
  found=0
  for kind in crashes hangs; do
    for f in "$dir/out/default/$kind"/id:*; do
      [ -f "$f" ] || continue
      mkdir -p "$regressions/$target"
      cp "$f" "$regressions/$target/${kind%es}-$(sha1sum "$f" | cut -c1-16)"
      found=$((found + 1))
    done
  done
  stat() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  line="fuzz $target: $(stat execs_done) runs in ${seconds} s, $(stat corpus_count) inputs in the corpus, $(stat edges_found) edges, $(stat saved_crashes) crashes, $(stat saved_hangs) hangs"
  if [ "$found" -gt 0 ]; then
    echo "$line: FAILED, $found new inputs in $regressions/$target"; failed=$((failed + 1))
  else
    echo "$line"; passed=$((passed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
