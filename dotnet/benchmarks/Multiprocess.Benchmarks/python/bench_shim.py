"""The `shim` suite: the same Python program with CPython's multiprocessing.Manager() (a server process) and with
multiprocess_dotnet.Manager() (the same stock proxies; the server on .NET threads) in both of its server modes:
'process' (under the fork start method: the engine in a server process of its own) and 'inprocess' (under spawn:
the engine loaded into the program). Prints bench_common JSON lines:

* "dict set/get + Queue put/get, N spawned workers": N workers ('spawn' context) each run ITERATIONS rounds of four
  proxy calls (d[key] = i; d[key]; q.put(i); q.get()) after connecting; aggregate wall time (first worker's start to
  last worker's end) per call, so ops/s = 1e9 / ns. Rounds are interleaved (stdlib, shim (process), shim
  (in-process)), the order rotating by one place from round to round.
* "...: incl. spawn+join": the whole batch seen from the parent, from the first Process.start() to the last join().
* "...: server kernel CPU per call": the server's CPU per call times its kernel share (stime / (utime + stime)
  summed over the case's rounds; the note says from what and how precise). The suite's goal notes put the ratio
  this machine allows any blocking server next to the goal: min(cores, workers) / (client + kernel CPU per call)
  against the stdlib's measured ops/s (docs/manager-server/throughput-bound.md, "What 2 cores allow").
* "...: client CPU per call", "...: server CPU per call": ns of CPU (utime + stime) per call over the operations,
  all the workers' together (each measures its own loop) and the server's: the server process's from /proc (stdlib,
  shim 'process'), this process's own for the in-process shim (its main thread only waits meanwhile). The
  throughput row's note adds what the machine allows at that CPU per call, min(cores, workers) / (client + server),
  and for the shim that bound against the stdlib's measured ops/s: why a ratio stops where it does (docs/native.md,
  "Steady state").
  scripts/measure-shim-cpu.py measures the same apart, one manager per process.
* "import, fresh process", "Manager() start, first in a fresh process", "import + first Manager() start, fresh
  process", "Manager() shutdown, first in a fresh process": one fresh `python -c` per sample (interleaved), under the
  fork and under the spawn start method (set first, as a program does). The import is `import multiprocessing` or
  `import multiprocess_dotnet` alone; the start is the first `package.Manager()` after `import multiprocessing` and
  set_start_method, including what it imports on first use (multiprocessing.managers for both) and, for the shim,
  starting or loading the engine; "import + start" is the whole program up to the started manager. The shim's
  bytecode is compiled first, as installing the wheel does.
* "4-line program, whole process": one fresh `python -c` per sample (interleaved) that starts a Manager(), sets and
  gets one dict item and shuts down, under fork and under spawn; wall time from the parent (interpreter start to
  exit), and in the note the peak RSS of all the program's processes (VmHWM of the program and of the manager's
  server process, if any) and their CPU time. scripts/measure-shim-program.py runs the same PROGRAM apart (under RT
  priority).
* "Manager() start, warm", "Manager() shutdown, warm": in this process, after a first start (construct + start, and
  shutdown, timed apart).

The workers are always spawned. --steady-only runs the throughput cases alone (the managers are started as for the
others, untimed).

usage: bench_shim.py --shim-path DIR --stdlib-impl NAME --stdlib-spawn-impl NAME --shim-impl NAME
                     --shim-inprocess-impl NAME [--workers 1,2,4] [--iterations N] [--rounds N]
                     [--start-samples N] [--steady-only] [--smoke]
"""
import argparse
import compileall
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_shim_targets as targets  # noqa: E402
from bench_common import SMOKE, ops, report, samples  # noqa: E402

CALLS_PER_ITERATION = 4

# One fresh interpreter per sample: times the implementation's import, Manager() (construct + start) and shutdown().
# argv: impl (stdlib | shim), start method (fork | spawn). The start window is the same for both: from after
# `import multiprocessing` + set_start_method (which the shim's import does not do, the stdlib's does) to Manager()'s
# return, the name's lookup included; "import + start" is the whole, from before the first import.
FIRST_START = """
import json, sys, time
impl, method = sys.argv[1], sys.argv[2]
t0 = time.perf_counter_ns()
if impl == "shim":
    import multiprocess_dotnet as package
else:
    import multiprocessing as package
t1 = time.perf_counter_ns()
import multiprocessing
multiprocessing.set_start_method(method)
t2 = time.perf_counter_ns()
m = package.Manager()
t3 = time.perf_counter_ns()
m.shutdown()
t4 = time.perf_counter_ns()
print(json.dumps([t1 - t0, t3 - t2, t3 - t0, t4 - t3]))
"""

# The 4-line program (start, one dict set/get, shutdown), plus the read of its processes' peak RSS before shutdown.
PROGRAM = """
import multiprocessing, os, sys
multiprocessing.set_start_method(sys.argv[2])
if sys.argv[1] == "shim":
    from multiprocess_dotnet import Manager
else:
    from multiprocessing import Manager
with Manager() as m:
    d = m.dict()
    d["key"] = "value"
    assert d["key"] == "value"
    pids = {os.getpid()}
    if getattr(m, "_process", None) is not None:        # the server process (the in-process shim stands in itself)
        pids.add(m._process.pid)
    kib = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            kib += int(next(line for line in f if line.startswith("VmHWM:")).split()[1])
    print(kib)
"""

# name -> (impl, start method) of the fresh-process cases
FRESH = (("stdlib", "stdlib", "fork"), ("stdlib-spawn", "stdlib", "spawn"), ("shim", "shim", "fork"),
         ("shim-inprocess", "shim", "spawn"))


FRESH_ARGS = {name: (impl, method) for name, impl, method in FRESH}


def stats(values, n_ops=1):
    return min(values), statistics.median(values), len(values), n_ops


def first_starts(names, n_samples):
    """Interleaved fresh-process samples of each implementation: import, start, import + start, shutdown."""
    times = {impl: [] for impl in names}
    for _ in range(n_samples):
        for impl in names:
            out = subprocess.run([sys.executable, "-c", FIRST_START] + list(FRESH_ARGS[impl]), check=True,
                                 capture_output=True, text=True, timeout=120).stdout
            times[impl].append(json.loads(out.strip().splitlines()[-1]))
    for impl, name in names.items():
        imp = [t[0] for t in times[impl]]
        start = [t[1] for t in times[impl]]
        report("import, fresh process", name, stats(imp))
        report("Manager() start, first in a fresh process", name, stats(start))
        report("import + first Manager() start, fresh process", name, stats([t[2] for t in times[impl]]))
        report("Manager() shutdown, first in a fresh process", name, stats([t[3] for t in times[impl]]))


def programs(names, n_samples):
    """Interleaved whole-process runs of PROGRAM: wall time (reported); peak RSS and the CPU time of all its
    processes (RUSAGE_CHILDREN: the program and the server process it reaps), which the machine's load does not
    stretch as it does the wall time, in the note."""
    wall = {impl: [] for impl in names}
    rss = {impl: [] for impl in names}
    cpu = {impl: [] for impl in names}
    for _ in range(n_samples):
        for impl in names:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter_ns()
            out = subprocess.run([sys.executable, "-c", PROGRAM] + list(FRESH_ARGS[impl]), check=True,
                                 capture_output=True, text=True, timeout=120).stdout
            wall[impl].append(time.perf_counter_ns() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[impl].append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3)
            rss[impl].append(int(out.strip().splitlines()[-1]) / 1024)
    for impl, name in names.items():
        base_impl = "stdlib-spawn" if FRESH_ARGS[impl][1] == "spawn" else "stdlib"
        median = statistics.median(rss[impl])
        report("4-line program, whole process", name, stats(wall[impl]),
               note="peak RSS of its processes: median %.1f MiB, min %.1f MiB, %.2fx the stdlib's under %s; "
                    "CPU of its processes: median %.0f ms, min %.0f ms, %.2fx the stdlib's"
                    % (median, min(rss[impl]), median / statistics.median(rss[base_impl]), FRESH_ARGS[impl][1],
                       statistics.median(cpu[impl]), min(cpu[impl]),
                       statistics.median(cpu[impl]) / statistics.median(cpu[base_impl])))


def warm_starts(make, n_samples):
    """Start and shutdown times of make() in this process; the first (warm-up) pair is dropped."""
    start, stop = [], []
    for _ in range(n_samples + 1):
        t0 = time.perf_counter_ns()
        m = make()
        t1 = time.perf_counter_ns()
        m.shutdown()
        t2 = time.perf_counter_ns()
        start.append(t1 - t0)
        stop.append(t2 - t1)
    return start[1:], stop[1:]


def process_cpu(pid):
    """(utime, stime) (s) of process PID, from /proc/PID/stat (all its threads, ended ones included; 10 ms ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    """(utime, stime) (s) of this process: the in-process shim's server threads (the main thread only waits)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def batch(ctx, proxies, server_cpu, workers, iterations):
    """One sample: spawn the workers, let them connect, release them together; returns, per call, ns of the
    operations alone and of the whole batch (first start() to last join()), the µs of CPU the workers (clients)
    and the server spent over the operations (server_cpu(): the server's (utime, stime) in s), and the server's
    (utime, stime) over the operations in s, whose sums over a case give its kernel share."""
    d, q = proxies
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    t_start = time.monotonic()
    procs = [ctx.Process(target=targets.worker, args=(d, q, k, iterations, ready, go, results), daemon=True)
             for k in range(workers)]
    for p in procs:
        p.start()
    for _ in range(workers):
        ready.get(timeout=120)
    s0 = server_cpu()
    go.set()
    spans = [results.get(timeout=600) for _ in range(workers)]
    s1 = server_cpu()
    for p in procs:
        p.join(60)
        if p.exitcode != 0:
            raise RuntimeError("worker exited with %r" % (p.exitcode,))
    t_end = time.monotonic()
    calls = CALLS_PER_ITERATION * iterations * workers
    wall = max(s[1] for s in spans) - min(s[0] for s in spans)
    user, system = s1[0] - s0[0], s1[1] - s0[1]
    return (wall / calls * 1e9, (t_end - t_start) / calls * 1e9, sum(s[2] for s in spans) / calls * 1e6,
            (user + system) / calls * 1e6, (user, system))


def cpu_note(client_us, server_us, per_call_ns, workers, one_gil, stdlib_per_call_ns=None):
    """The note of a throughput row: the medians of CPU per call, and the most ops/s the machine allows at that CPU
    per call: min(cores, workers) / (client + server), since each worker's calls are one chain (its client code,
    then the server's, then its client code again), so N workers keep at most N cores busy; for the stdlib also
    1 / its server's CPU (its server runs Python under one GIL). For the shim, that bound against the stdlib's
    measured ops/s: the ratio this machine allows."""
    if client_us <= 0 or server_us <= 0:
        return "CPU per call not measured: too few calls for /proc's 10 ms ticks"
    busy = min(os.cpu_count(), workers)
    bound = busy / (client_us + server_us) * 1e6
    if one_gil:
        bound = min(bound, 1e6 / server_us)
    ops_per_s = 1e9 / per_call_ns
    note = ("CPU per call (medians, /proc utime+stime): client %.1f us, server %.1f us; %d busy core%s (of %d) allow "
            "at most %.0f ops/s at that CPU (min(cores, workers) / (client + server)%s), %.0f%% of it used"
            % (client_us, server_us, busy, "" if busy == 1 else "s", os.cpu_count(), bound,
               "; one GIL: 1 / server" if one_gil else "", 100 * ops_per_s / bound))
    if stdlib_per_call_ns:
        note += "; ratio the cores allow: %.2fx the stdlib's measured ops/s" % (bound * stdlib_per_call_ns / 1e9)
        if os.environ.get("MULTIPROCESS_DOTNET_SPIN_US"):
            note += "; the shim's servers poll %s us before they block (MULTIPROCESS_DOTNET_SPIN_US)" % (
                os.environ["MULTIPROCESS_DOTNET_SPIN_US"])
    return note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim-path", required=True, help="the folder holding the multiprocess_dotnet package")
    ap.add_argument("--stdlib-impl", required=True)
    ap.add_argument("--stdlib-spawn-impl", required=True)
    ap.add_argument("--shim-impl", required=True, help="the shim in server mode 'process' (fork)")
    ap.add_argument("--shim-inprocess-impl", required=True, help="the shim in server mode 'inprocess' (spawn)")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--iterations", type=int, default=1500, help="rounds of 4 proxy calls per worker per sample")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--start-samples", type=int, default=7)
    ap.add_argument("--steady-only", action="store_true", help="only the 'dict set/get + Queue put/get' cases")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, args.shim_path)
    # The shim's bytecode, as `pip install` of the wheel compiles it: the source tree has none, and the environment
    # may say PYTHONDONTWRITEBYTECODE (then every fresh process would compile the package again; the stdlib's is
    # compiled).
    compileall.compile_dir(os.path.join(args.shim_path, "multiprocess_dotnet"), quiet=1)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (args.shim_path, os.environ.get("PYTHONPATH")) if p)
    worker_counts = [int(w) for w in args.workers.split(",")]
    iterations = ops(args.iterations)
    rounds = samples(args.rounds)
    start_samples = samples(args.start_samples)
    spawn = mp.get_context("spawn")

    if not args.steady_only:
        # Fresh processes first, so nothing this process does (or its load) sits beside them.
        fresh = {"stdlib": args.stdlib_impl, "stdlib-spawn": args.stdlib_spawn_impl, "shim": args.shim_impl,
                 "shim-inprocess": args.shim_inprocess_impl}
        programs(fresh, start_samples)
        first_starts(fresh, start_samples)

    # The stdlib with its default start method (fork before 3.14) before .NET is loaded here (after that, 'fork' is
    # refused); then the shim as a server process, then in this process.
    warm = start_samples if not args.steady_only else 0
    std_start, std_stop = warm_starts(mp.Manager, warm)
    spawn_start, spawn_stop = warm_starts(spawn.Manager, warm)
    stdlib = mp.Manager()

    import multiprocess_dotnet  # noqa: E402
    os.environ["MULTIPROCESS_DOTNET_SERVER"] = "process"
    proc_start, proc_stop = warm_starts(multiprocess_dotnet.Manager, warm)
    shim = multiprocess_dotnet.Manager()
    os.environ["MULTIPROCESS_DOTNET_SERVER"] = "inprocess"    # loads .NET on the first start, which warm_starts drops
    inproc_start, inproc_stop = warm_starts(multiprocess_dotnet.Manager, warm)
    shim_inprocess = multiprocess_dotnet.Manager()
    if not args.steady_only:
        for name, start, stop in ((args.stdlib_impl, std_start, std_stop),
                                  (args.stdlib_spawn_impl, spawn_start, spawn_stop),
                                  (args.shim_impl, proc_start, proc_stop),
                                  (args.shim_inprocess_impl, inproc_start, inproc_stop)):
            report("Manager() start, warm", name, stats(start))
            report("Manager() shutdown, warm", name, stats(stop))

    try:
        managers = [(args.stdlib_impl, (stdlib.dict(), stdlib.Queue()), lambda: process_cpu(stdlib._process.pid)),
                    (args.shim_impl, (shim.dict(), shim.Queue()), lambda: process_cpu(shim._process.pid)),
                    (args.shim_inprocess_impl, (shim_inprocess.dict(), shim_inprocess.Queue()), own_cpu)]
        keys = [(name, w) for name, _, _ in managers for w in worker_counts]
        ops_times, whole_times = {k: [] for k in keys}, {k: [] for k in keys}
        client_cpu, server_cpu = {k: [] for k in keys}, {k: [] for k in keys}
        server_split = {k: [0.0, 0.0] for k in keys}
        for r in range(rounds + 1):                         # round 0 warms up
            for wi, w in enumerate(worker_counts):
                # Interleaved, and the order rotates from round to round (stdlib, shim, shim in-process; then shim,
                # shim in-process, stdlib; ...): no implementation always runs right after the same other one, whose
                # workers and server threads have just stopped, or always first after a change of worker count.
                shift = (r + wi) % len(managers)
                for name, proxies, cpu in managers[shift:] + managers[:shift]:
                    per_call, whole, client_us, server_us, split = batch(spawn, proxies, cpu, w, iterations)
                    if r > 0:
                        ops_times[(name, w)].append(per_call)
                        whole_times[(name, w)].append(whole)
                        client_cpu[(name, w)].append(client_us * 1e3)
                        server_cpu[(name, w)].append(server_us * 1e3)
                        server_split[(name, w)][0] += split[0]
                        server_split[(name, w)][1] += split[1]
        for w in worker_counts:
            label = "dict set/get + Queue put/get, %d spawned worker%s" % (w, "" if w == 1 else "s")
            calls = CALLS_PER_ITERATION * iterations * w
            stdlib_ns = statistics.median(ops_times[(args.stdlib_impl, w)])
            for name, _, _ in managers:
                k = (name, w)
                is_stdlib = name == args.stdlib_impl
                report(label, name, stats(ops_times[k], calls),
                       note=cpu_note(statistics.median(client_cpu[k]) / 1e3, statistics.median(server_cpu[k]) / 1e3,
                                     statistics.median(ops_times[k]), w, is_stdlib, None if is_stdlib else stdlib_ns))
                report(label + ": incl. spawn+join", name, stats(whole_times[k], calls))
                # ns of CPU per call (a process's utime+stime ticks every 10 ms: a sample holds 8,000+ calls).
                report(label + ": client CPU per call", name, stats(client_cpu[k], calls))
                report(label + ": server CPU per call", name, stats(server_cpu[k], calls))
                user, system = server_split[k]
                # 5 ticks of /proc's 10 ms at least, and some in the kernel (else no figure to divide by)
                if user + system >= 0.05 and system > 0:
                    share = system / (user + system)
                    # Summed over the rounds: each sample's utime and stime are off by under a tick (10 ms) at
                    # both ends, so the sum by under rounds ticks each (the in-process shim's getrusage: µs).
                    precision = (rounds * 0.01 / (user + system)) if name != args.shim_inprocess_impl else 0
                    report(label + ": server kernel CPU per call", name,
                           stats([x * share for x in server_cpu[k]], calls),
                           note="kernel share %.0f %% of the server's CPU over the rounds (utime %.2f s + stime %.2f s"
                                " from %s%s; the kernel samples the split every scheduler tick)"
                                % (100 * share, user, system,
                                   "getrusage" if name == args.shim_inprocess_impl else "/proc/PID/stat, 10 ms ticks",
                                   ", share ±%.0f pts at most" % (100 * precision) if precision else ""))
    finally:
        shim_inprocess.shutdown()
        shim.shutdown()
        stdlib.shutdown()


if __name__ == "__main__":
    main()
