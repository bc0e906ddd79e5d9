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
stderr); MEASURE_ATTACH='perf record -g -o FILE -p {pid}' attaches that command instead.
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


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_stime


def one(impl, workers, iterations, rounds):
    ctx = mp.get_context("spawn")
    if impl == "stdlib":
        m = ctx.Manager()
        server = lambda: cpu_of(m._process.pid)  # noqa: E731
        server_pid = m._process.pid
    else:
        os.environ["MULTIPROCESS_DOTNET_SERVER"] = impl
        import multiprocess_dotnet
        m = multiprocess_dotnet.Manager()
        if impl == "process":
            server = lambda: cpu_of(m._process.pid)  # noqa: E731
            server_pid = m._process.pid
        else:
            server = self_cpu
            server_pid = os.getpid()
    d, q = m.dict(), m.Queue()
    out = []
    for r in range(rounds + 1):
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=worker, args=(d, q, k, iterations, ready, go, results), daemon=True)
                 for k in range(workers)]
        for p in procs:
            p.start()
        for _ in range(workers):
            ready.get(timeout=120)
        tracer = attach(server_pid, r)
        x0 = switches_of(server_pid)
        s0 = server()
        go.set()
        spans = [results.get(timeout=600) for _ in range(workers)]
        s1 = server()
        x1 = switches_of(server_pid)
        if tracer is not None:
            tracer.send_signal(signal.SIGINT)
            sys.stderr.write("%s, %d workers, server syscalls over %d calls:\n%s\n"
                             % (impl, workers, CALLS * iterations * workers, tracer.communicate()[1]))
        for p in procs:
            p.join(60)
        calls = CALLS * iterations * workers
        wall = max(s[1] for s in spans) - min(s[0] for s in spans)
        if r > 0:
            # In-process the main thread's own wait (results.get) is among the server's switches: a few per round.
            out.append((sum(s[2] for s in spans) / calls * 1e6, (s1[0] - s0[0]) / calls * 1e6, wall / calls * 1e6,
                        sum(s[3] for s in spans) / calls * 1e6, (s1[1] - s0[1]) / calls * 1e6,
                        sum(s[4] for s in spans) / calls, sum(s[5] for s in spans) / calls,
                        (x1[0] - x0[0]) / calls, (x1[1] - x0[1]) / calls))
    m.shutdown()
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
            bound = min(cores, w) / (client + server) * 1e6      # each worker's calls are one chain
            if impl == "stdlib":
                bound = min(bound, 1e6 / server)
            print(json.dumps({"impl": impl, "workers": w, "client_us": round(client, 2), "server_us": round(server, 2),
                              "client_sys_us": round(client_sys, 2), "server_sys_us": round(server_sys, 2),
                              "wall_us": round(wall, 2), "ops_per_s": round(1e6 / wall), **switches,
                              "cpu_bound_ops_per_s": round(bound), "load": os.getloadavg()[0]}), flush=True)


if __name__ == "__main__":
    main()
