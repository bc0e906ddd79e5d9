"""CPU per proxy call of the `shim` suite's steady-state case (dict set/get + Queue put/get from N spawned workers),
split into the clients' part and the server's, for the stdlib's manager and the shim's two server modes: figures the
machine's load does not stretch as it does wall time (docs/native.md, "Steady state: where the CPU goes").

    PYTHONPATH=python python3.12 scripts/measure-shim-cpu.py [--workers 1,2,4] [--iterations 2000] [--rounds 3]
                                                             [--impl stdlib,process,inprocess]

One fresh interpreter per (impl, workers) so that each manager is alone in its process: the server's CPU is the
server process's utime+stime (stdlib, shim 'process') or this process's own (shim 'inprocess': its main thread only
waits meanwhile); each worker reports its own utime+stime over its loop. Prints one JSON line per (impl, workers):
medians over the rounds of client and server CPU µs/call (and their system-time part), context switches per call
(client_vcsw/client_ivcsw: the workers' voluntary/involuntary, getrusage; server_vcsw/server_ivcsw: summed over the
server process's threads from /proc/PID/task/*/status), wall µs/call, and the
throughput the machine allows at most: min(cores, workers) / (client + server CPU per call) (each worker's calls
are one chain: its code, then the server's), for the stdlib also at most 1 / its server's CPU per call (one GIL).
/proc's CPU times tick every 10 ms: keep iterations x workers x 4 calls well above 1000.

MEASURE_STRACE=1 adds `strace -c -f` on the server's threads over the first counted round (syscalls per call, on
stderr); MEASURE_ATTACH='perf record -g -o FILE -p {pid}' (or 'perf stat -e sched:sched_waking,... -p {pid}')
attaches that command instead.

MEASURE_SCHED=1 adds the scheduler's own per-thread counts (/proc/PID/task/TID/schedstat, sched, status, stat; no
schedstats kernel option needed) over each counted round: per call, the time the server's threads and the workers'
main threads waited runnable for a CPU (server_delay_us, client_delay_us: the wake-up latency the CPU figures do not
show), their migrations between CPUs, the share of the machine's CPUs idle over the loop (/proc/stat, 10 ms ticks,
every process on the machine), and on stderr one line per round and one per server thread (its name, CPU, waits and
switches per call, the CPUs it ran on at the rounds' ends): in-process that includes the Python program's own threads.
MEASURE_BESIDE=1 (shim modes only) also starts the other server mode's manager in the same process, as the `shim`
suite does (server process first), and runs an uncounted batch against it before each round (the suite's interleaving).
"""
import argparse
import json
import multiprocessing as mp
import os
import resource
import signal
import statistics
import subprocess
import sys
import time

import _shim_managers

# The suite's own worker (its loop, plus its CPU over the loop), so both measure the same calls; spawned children
# find it through sys.path, which spawn hands them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dotnet", "benchmarks",
                                "Multiprocess.Benchmarks", "python"))
from bench_shim_targets import worker  # noqa: E402

CALLS = 4


def cpu_of(pid):
    """(utime+stime, stime) of a process in seconds, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, int(fields[12]) / tick


def attach(pid, r):
    """In the first counted round only: MEASURE_STRACE=1 runs strace -c on every thread of the server's process PID;
    MEASURE_ATTACH='perf record -g -o F -p {pid}' (say) runs that command instead. Attached before returning; the
    round ends it with SIGINT."""
    if r != 1 or not (os.environ.get("MEASURE_STRACE") or os.environ.get("MEASURE_ATTACH")):
        return None
    if os.environ.get("MEASURE_ATTACH"):
        args = os.environ["MEASURE_ATTACH"].format(pid=pid).split()
    else:
        tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
        args = ["strace", "-c", "-f"] + [a for t in tids for a in ("-p", str(t))]
    tracer = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    return tracer


def switches_of(pid):
    """(voluntary, involuntary) context switches of every live thread of process PID (/proc/PID/task/*/status): a
    thread blocks (voluntary) once per wait it does not find satisfied at once. Threads that ended are not counted;
    the serving threads live through the rounds."""
    vol = invol = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(line.split()[1])
        except FileNotFoundError:
            pass
    return vol, invol


def sched_of(pid, tid):
    """(name, run ns, runnable-wait ns, voluntary, involuntary switches, migrations, last CPU) of one thread, or None
    once it is gone. schedstat: time on a CPU, time runnable but waiting for one (since the thread started)."""
    base = "/proc/%d/task/%d/" % (pid, tid)
    try:
        with open(base + "schedstat") as f:
            run, delay = (int(x) for x in f.read().split()[:2])
        with open(base + "stat") as f:
            text = f.read()
        with open(base + "status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open(base + "sched") as f:
            migrations = next(int(line.split(":")[1]) for line in f if line.startswith("se.nr_migrations"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    cpu = int(text.rsplit(")", 1)[1].split()[36])
    return (name, run, delay, int(status["voluntary_ctxt_switches"]), int(status["nonvoluntary_ctxt_switches"]),
            migrations, cpu)


def threads_of(pid):
    """{tid: sched_of(pid, tid)} of every live thread of process PID."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        got = sched_of(pid, int(tid))
        if got is not None:
            out[int(tid)] = got
    return out


def idle_ticks():
    """idle + iowait ticks of all CPUs (/proc/stat's first line)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[4]) + int(fields[5])


def sched_delta(before, after):
    """{tid: (name, run, delay, vcsw, ivcsw, migrations, last CPU)} differences of the threads seen both times."""
    return {tid: (a[0],) + tuple(a[i] - before[tid][i] for i in range(1, 6)) + (a[6],)
            for tid, a in after.items() if tid in before}


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_stime


def beside_batch(ctx, proxies, workers, iterations):
    """MEASURE_BESIDE=1: one uncounted batch of the same workers against the other server mode's manager, kept in
    this process as the `shim` suite keeps all its managers in one (bench_shim.py), before each measured round."""
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=worker, args=proxies + (k, iterations, ready, go, results), daemon=True)
             for k in range(workers)]
    for p in procs:
        p.start()
    for _ in range(workers):
        ready.get(timeout=120)
    go.set()
    for _ in range(workers):
        results.get(timeout=600)
    for p in procs:
        p.join(60)


def one(impl, workers, iterations, rounds):
    ctx = mp.get_context("spawn")
    other = None
    if os.environ.get("MEASURE_BESIDE") and impl == "inprocess":     # the suite starts the server process first
        other = _shim_managers.start("process")
    m = _shim_managers.start(impl)
    server_pid = _shim_managers.server_pid(m, impl)
    if impl == "inprocess":
        server = self_cpu       # this process's own CPU: its main thread only waits meanwhile (module docstring)
    else:
        server = lambda: cpu_of(server_pid)  # noqa: E731
    if os.environ.get("MEASURE_BESIDE") and impl == "process":
        other = _shim_managers.start("inprocess")
    beside = _shim_managers.steady_proxies(other) if other is not None else None
    d, q = _shim_managers.steady_proxies(m)
    out = []
    sched = bool(os.environ.get("MEASURE_SCHED"))
    per_thread, counted = {}, 0
    for r in range(rounds + 1):
        if beside is not None:
            beside_batch(ctx, beside, workers, iterations)
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=worker, args=(d, q, k, iterations, ready, go, results), daemon=True)
                 for k in range(workers)]
        for p in procs:
            p.start()
        for _ in range(workers):
            ready.get(timeout=120)
        tracer = attach(server_pid, r)
        if sched:
            # The workers' main threads (their loop; each exits after reporting, and stays readable as a zombie
            # until joined below), then the server's threads.
            c0 = {p.pid: sched_of(p.pid, p.pid) for p in procs}
            t0, i0 = threads_of(server_pid), idle_ticks()
        x0 = switches_of(server_pid)
        s0 = server()
        go.set()
        spans = [results.get(timeout=600) for _ in range(workers)]
        s1 = server()
        x1 = switches_of(server_pid)
        if sched:
            t1, i1 = threads_of(server_pid), idle_ticks()
            c1 = {p.pid: sched_of(p.pid, p.pid) for p in procs}
        if tracer is not None:
            tracer.send_signal(signal.SIGINT)
            sys.stderr.write("%s, %d workers, server process's threads over %d calls (the attached command):\n%s\n"
                             % (impl, workers, CALLS * iterations * workers, tracer.communicate()[1]))
        for p in procs:
            p.join(60)
        calls = CALLS * iterations * workers
        wall = max(s[1] for s in spans) - min(s[0] for s in spans)
        if r > 0:
            # In-process the main thread's own wait (results.get) is among the server's switches: a few per round.
            row = (sum(s[2] for s in spans) / calls * 1e6, (s1[0] - s0[0]) / calls * 1e6, wall / calls * 1e6,
                   sum(s[3] for s in spans) / calls * 1e6, (s1[1] - s0[1]) / calls * 1e6,
                   sum(s[4] for s in spans) / calls, sum(s[5] for s in spans) / calls,
                   (x1[0] - x0[0]) / calls, (x1[1] - x0[1]) / calls)
            if sched:
                st = sched_delta(t0, t1)
                ct = [(c1[p][2] - c0[p][2], c1[p][5] - c0[p][5]) for p in c0 if c0[p] and c1[p]]
                idle = (i1 - i0) / os.sysconf("SC_CLK_TCK") / (wall * os.cpu_count())
                row += (sum(t[2] for t in st.values()) / calls / 1e3, sum(c[0] for c in ct) / calls / 1e3,
                        sum(t[5] for t in st.values()) / calls, sum(c[1] for c in ct) / calls, idle)
                for tid, t in st.items():
                    acc = per_thread.setdefault(tid, [t[0], 0, 0, 0, 0, 0, set()])
                    for i in range(1, 6):
                        acc[i] += t[i]
                    acc[6].add(t[6])
                counted += calls
                # One line per round: the spread between rounds (and the CPUs each side ended on) is what a median hides.
                sys.stderr.write("%s %dw round %d: wall %.2f client %.2f server %.2f us/call; client vcsw %.3f ivcsw %.3f;"
                                 " server vcsw %.3f ivcsw %.3f; waits server %.2f client %.2f us; migr server %.4f client"
                                 " %.4f; idle %.3f; workers on %s, server threads on %s\n"
                                 % ((impl, workers, r) + row[2:3] + row[0:2] + row[5:] +
                                    (sorted(c1[p][6] for p in c1 if c1[p]),
                                     sorted(t[6] for t in st.values() if t[1] > 0))))
            out.append(row)
    m.shutdown()
    if other is not None:
        other.shutdown()
    if per_thread:
        sys.stderr.write("%s, %d workers: the server process's threads over %d calls (per call: CPU us, runnable-wait "
                         "us, voluntary / involuntary switches, migrations; CPUs last seen on)\n"
                         % (impl, workers, counted))
        for tid, t in sorted(per_thread.items(), key=lambda kv: -kv[1][1]):
            if t[1] or t[3] or t[4]:
                sys.stderr.write("  %-24s %7d  cpu %6.2f  wait %5.2f  vcsw %.3f  ivcsw %.3f  migr %.3f  on %s\n"
                                 % (t[0], tid, t[1] / counted / 1e3, t[2] / counted / 1e3, t[3] / counted,
                                    t[4] / counted, t[5] / counted, sorted(t[6])))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--impl", default="stdlib,process,inprocess")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.iterations, args.rounds)))
        return
    cores = os.cpu_count()
    for w in [int(x) for x in args.workers.split(",")]:
        for impl in args.impl.split(","):
            out = subprocess.run([sys.executable, __file__, "--one", impl, str(w), "--iterations",
                                  str(args.iterations), "--rounds", str(args.rounds)],
                                 check=True, stdout=subprocess.PIPE, text=True, timeout=900).stdout
            rows = json.loads(out.strip().splitlines()[-1])
            client = statistics.median(r[0] for r in rows)
            server = statistics.median(r[1] for r in rows)
            wall = statistics.median(r[2] for r in rows)
            client_sys = statistics.median(r[3] for r in rows)
            server_sys = statistics.median(r[4] for r in rows)
            switches = {name: round(statistics.median(r[i] for r in rows), 3) for i, name in
                        ((5, "client_vcsw"), (6, "client_ivcsw"), (7, "server_vcsw"), (8, "server_ivcsw"))}
            if len(rows[0]) > 9:                                 # MEASURE_SCHED=1
                switches.update({name: round(statistics.median(r[i] for r in rows), 3) for i, name in
                                 ((9, "server_delay_us"), (10, "client_delay_us"), (11, "server_migr"),
                                  (12, "client_migr"), (13, "idle_share"))})
            bound = min(cores, w) / (client + server) * 1e6      # each worker's calls are one chain
            if impl == "stdlib":
                bound = min(bound, 1e6 / server)
            print(json.dumps({"impl": impl, "workers": w, "client_us": round(client, 2), "server_us": round(server, 2),
                              "client_sys_us": round(client_sys, 2), "server_sys_us": round(server_sys, 2),
                              "wall_us": round(wall, 2), "ops_per_s": round(1e6 / wall), **switches,
                              "cpu_bound_ops_per_s": round(bound), "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
