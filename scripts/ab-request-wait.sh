#!/bin/bash
# A/B of the manager server's wait for the next request (MULTIPROCESS_REQUEST_WAIT: default = auto, poll, unread;
# dotnet/src/Multiprocess/Connection/RequestWait.cs), the modes alternating, ROUNDS times each:
#   multiprocess-bench manager-server --cases dict   -> $OUT/ms-MODE-N/manager-server.csv (1, 2, 4 stock clients)
#   bench_shim.py --workers 1 --steady-only          -> $OUT/shim-MODE-N.jsonl (the shim at one worker, both modes)
# Needs the Release build (dotnet build -c Release) and the shim's engine (bash wheels/build.sh). Run it on a quiet
# machine: the modes differ by less than a loaded machine moves. Usage: scripts/ab-request-wait.sh [OUT] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-/tmp/ab-request-wait}
rounds=${2:-3}
bench="$root/dotnet/benchmarks/Multiprocess.Benchmarks/bin/Release/net10.0/multiprocess-bench"
scripts="$root/dotnet/benchmarks/Multiprocess.Benchmarks/python"
source "$root/scripts/pythons.sh"
mkdir -p "$out"
run() {  # MODE COMMAND...: the command with the mode set (default: the variable unset)
  local mode=$1; shift
  if [ "$mode" = default ]; then env -u MULTIPROCESS_REQUEST_WAIT -u PYTHONPATH "$@"
  else env -u PYTHONPATH MULTIPROCESS_REQUEST_WAIT="$mode" "$@"; fi
}
for n in $(seq 1 "$rounds"); do
  for mode in default poll unread; do
    echo "$(date +%T) load $(cut -d' ' -f1 /proc/loadavg): manager-server $mode $n"
    run "$mode" "$bench" manager-server --cases dict --out "$out/ms-$mode-$n" >/dev/null
  done
done
for n in $(seq 1 "$rounds"); do
  for mode in default poll unread; do
    echo "$(date +%T) load $(cut -d' ' -f1 /proc/loadavg): shim $mode $n"
    (cd "$scripts" && run "$mode" "$MP_PYTHON_312" bench_shim.py --shim-path "$root/python" --stdlib-impl std \
       --stdlib-spawn-impl stdsp --shim-impl proc --shim-inprocess-impl inproc --workers 1 --iterations 2000 \
       --rounds 7 --steady-only > "$out/shim-$mode-$n.jsonl")
  done
done
echo "$(date +%T) load $(cut -d' ' -f1 /proc/loadavg): done -> $out"
