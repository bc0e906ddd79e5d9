"""The 4-line program of issue 12 (Manager() start, one dict set/get, shutdown) under the fork start method, with the
stdlib's Manager and with multiprocess_dotnet's (a server process of its own under fork), as whole fresh processes,
interleaved: wall time and the CPU time of all the program's processes (the server included, reaped by the program).
The program is the `shim` benchmark's own (PROGRAM in bench_shim.py, which also reads its peak RSS); this runs it
apart, so that it can run under RT priority.

    PYTHONPATH=python chrt -f 5 python3.12 scripts/measure-shim-program.py [RUNS]

chrt -f 5 (SCHED_FIFO, root) gives the runs a core at once, as on an idle machine; without it, on the shared 2-core
machine, wall medians swing by 2x between runs (docs/native.md). The shim needs its built _engine (wheels/build.sh)
and its bytecode, as `pip install` compiles it (compiled here first)."""
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dotnet", "benchmarks",
                                "Multiprocess.Benchmarks", "python"))

from bench_shim import FRESH_ARGS, PROGRAM  # noqa: E402


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    import multiprocess_dotnet
    compileall.compile_dir(os.path.dirname(multiprocess_dotnet.__file__), quiet=1)
    cases = [FRESH_ARGS["stdlib"], FRESH_ARGS["shim"]]
    wall = {c: [] for c in cases}
    cpu = {c: [] for c in cases}
    for _ in range(runs):
        for c in cases:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter_ns()
            subprocess.run([sys.executable, "-c", PROGRAM, *c], check=True, timeout=120, stdout=subprocess.DEVNULL)
            wall[c].append((time.perf_counter_ns() - t0) / 1e6)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[c].append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3)
    for c in cases:
        print("%-12s wall min %7.1f median %7.1f ms | CPU of its processes min %7.1f median %7.1f ms"
              % ("/".join(c), min(wall[c]), statistics.median(wall[c]), min(cpu[c]), statistics.median(cpu[c])))
    std, shim = cases
    print("stdlib/shim (medians): wall %.2fx, CPU %.2fx (above 1: the shim is faster)"
          % (statistics.median(wall[std]) / statistics.median(wall[shim]), statistics.median(cpu[std]) / statistics.median(cpu[shim])))


if __name__ == "__main__":
    main()
