"""The worker the `shim` suite spawns (bench_shim.py): the same code against either manager, since both hand out
CPython's own proxies. Kept apart from bench_shim.py so that a spawned child imports little."""
import resource
import time


def worker(d, q, key, iterations, ready, go, results):
    """Connects (one call on each proxy), reports ready, waits for go, then runs `iterations` rounds of four proxy
    calls (d[key] = i; d[key]; q.put(i); q.get()) and reports its (start, end) on the monotonic clock and its own
    CPU seconds over the loop (utime+stime for bench_shim.py; stime and its voluntary and involuntary context switches
    too for scripts/measure-shim-cpu.py)."""
    d[key] = -1
    d[key]
    q.put(-1)
    q.get()
    ready.put(key)
    go.wait()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    for i in range(iterations):
        d[key] = i
        d[key]
        q.put(i)
        q.get()
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    results.put((t0, t1, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, r1.ru_stime - r0.ru_stime,
                 r1.ru_nvcsw - r0.ru_nvcsw, r1.ru_nivcsw - r0.ru_nivcsw))
