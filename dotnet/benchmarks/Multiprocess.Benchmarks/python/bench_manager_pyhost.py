"""Stock CPython clients calling a manager server's Pool and a Python-backed referent: the C# server (address given;
it serves the Pool itself, with CPython workers, and runs registered Python types in its Python host,
docs/python-host.md; started with --register Tally=bench_manager_pyhost:Tally) or CPython's own SyncManager server
(started here). Prints bench_common JSON lines:

* "Pool(2).map(abs, range(1000))": one map of 1000 items through the manager's Pool (ns per map)
* "Pool(2).map(abs, range(10))": a small map: the fixed cost of a Pool call
* "Pool(2).apply(abs, (-1,))": one task through the Pool's workers
* "AsyncResult.ready()": one method call on an AsyncResult the Pool made
* "Tally.add(): a call on a Python-backed referent": one method call on an object of a registered Python class
  (in the C# server, it lives in the Python host)
* "<case>: server CPU per call": CPU time (user + system) of the whole server side per call: the server process,
  and its descendants (the C# server's Python host and forkserver; the Pool's workers in both)

Both servers are warmed up for WARMUP_S seconds of Pool.map calls before anything is measured: the C# server's JIT
compiles its hot paths during its first few hundred calls (the first maps take 5-20x longer), and a long-running
server's steady state is what these figures compare.

usage: bench_manager_pyhost.py --impl NAME (--address ADDR --authkey HEX --server-pid PID | --cpython) [--smoke]
"""
import argparse
import multiprocessing as mp
import os
import statistics
import time
from multiprocessing.managers import SyncManager

from bench_common import SMOKE, ops, report, samples

WARMUP_S = 0.2 if SMOKE else 3.0


class Tally:
    """The registered Python class: what a BaseManager subclass serves with register('Tally', Tally)."""

    def __init__(self):
        self.n = 0

    def add(self, k=1):
        self.n += k
        return self.n


class BenchManager(SyncManager):
    pass


def descendants(root):
    """root and every process below it (children of any of their threads)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


def cpu_ns(pids):
    """CPU time so far of these processes, user + system over all their threads, through each one's CPU-time clock
    (clock_getcpuclockid(pid) = (~pid << 3) | 2); a process that ended meanwhile counts 0."""
    total = 0
    for pid in pids:
        try:
            total += time.clock_gettime_ns((~pid << 3) | 2)
        except OSError:
            pass
    return total


def measure(batch, k, n, server_pid):
    """n samples of k calls: per-call wall time and server-side CPU time (ns), each as (min, median, n, k)."""
    wall, cpu = [], []
    for _ in range(n):
        pids = descendants(server_pid)
        c0 = cpu_ns(pids)
        t0 = time.perf_counter_ns()
        batch(k)
        wall.append((time.perf_counter_ns() - t0) / k)
        cpu.append((cpu_ns(pids) - c0) / k)
    return (min(wall), statistics.median(wall), n, k), (min(cpu), statistics.median(cpu), n, k)


def bench(impl, m, server_pid):
    pool = m.Pool(2)
    big = list(range(1000))
    small = list(range(10))
    end = time.monotonic() + WARMUP_S
    while time.monotonic() < end:
        pool.map(abs, big)
        pool.apply(abs, (-1,))
    result = pool.apply_async(abs, (-1,))
    result.get()
    tally = m.Tally()
    cases = [
        ("Pool(2).map(abs, range(1000))", lambda n: [pool.map(abs, big) for _ in range(n)], ops(100)),
        ("Pool(2).map(abs, range(10))", lambda n: [pool.map(abs, small) for _ in range(n)], ops(300)),
        ("Pool(2).apply(abs, (-1,))", lambda n: [pool.apply(abs, (-1,)) for _ in range(n)], ops(300)),
        ("AsyncResult.ready()", lambda n: [result.ready() for _ in range(n)], ops(3000)),
        ("Tally.add(): a call on a Python-backed referent", lambda n: [tally.add() for _ in range(n)], ops(3000)),
    ]
    for name, batch, k in cases:
        batch(max(1, k // 10))
        wall, cpu = measure(batch, k, samples(5), server_pid)
        report(name, impl, wall)
        report(name + ": server CPU per call", impl, cpu)
    pool.terminate()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", required=True)
    parser.add_argument("--address")
    parser.add_argument("--authkey")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--cpython", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.cpython:
        BenchManager.register("Tally", Tally)
        m = BenchManager(ctx=mp.get_context("fork"))
        m.start()
        try:
            bench(args.impl, m, m._process.pid)
        finally:
            m.shutdown()
    else:
        key = bytes.fromhex(args.authkey)
        mp.current_process().authkey = key
        BenchManager.register("Tally")
        m = BenchManager(args.address, key)
        m.connect()
        bench(args.impl, m, args.server_pid)


if __name__ == "__main__":
    main()
