"""Stock CPython clients calling Python-backed referents of a manager server: the C# server (address given; its
Pool and AsyncResults live in its Python host, docs/python-host.md) or CPython's own SyncManager server (started
here). Prints bench_common JSON lines:

* "Pool(2).map(abs, range(1000))": one map of 1000 items through the manager's Pool (ns per map)
* "Pool(2).map(abs, range(10))": a small map: the fixed cost of a Pool call
* "Pool(2).apply(abs, (-1,))": one task through the Pool's workers
* "AsyncResult.ready(): a call on a Python-backed referent": one method call on a Python object in the server
* "<case>: server CPU per call": CPU time (user + system) of the whole server side per call: the server process,
  and its descendants (the C# server's Python host; the Pool's workers in both)

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
    cases = [
        ("Pool(2).map(abs, range(1000))", lambda n: [pool.map(abs, big) for _ in range(n)], ops(100)),
        ("Pool(2).map(abs, range(10))", lambda n: [pool.map(abs, small) for _ in range(n)], ops(300)),
        ("Pool(2).apply(abs, (-1,))", lambda n: [pool.apply(abs, (-1,)) for _ in range(n)], ops(300)),
        ("AsyncResult.ready(): a call on a Python-backed referent", lambda n: [result.ready() for _ in range(n)],
         ops(3000)),
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
        m = SyncManager(ctx=mp.get_context("fork"))
        m.start()
        try:
            bench(args.impl, m, m._process.pid)
        finally:
            m.shutdown()
    else:
        key = bytes.fromhex(args.authkey)
        mp.current_process().authkey = key
        m = SyncManager(args.address, key)
        m.connect()
        bench(args.impl, m, args.server_pid)


if __name__ == "__main__":
    main()
