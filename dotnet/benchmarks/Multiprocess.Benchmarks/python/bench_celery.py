"""Celery's side of the celery suite (Suites/CelerySuite.cs), run by Debian's /usr/bin/python3 (python3-celery).

As a worker app: `python3 -m celery -A bench_celery worker -P prefork -c N -Q QUEUE`. Its task `multiprocess.echo`
is the C# worker's built-in of that name (returns its positional arguments as a list), so both workers run the same
task; settings as the C# worker's defaults: late acks, prefetch multiplier 4, json. Prints READY once consuming
(worker_ready), so that the worker can log at WARNING: no per-task log lines, as the C# worker writes none.

As a client: `python3 bench_celery.py client --queue QUEUE --ops N --samples S [--payload-bytes B] [--smoke]` times
send_task + get round trips one at a time (bench_common's method; the argument is the op's number, or a str of B
bytes) and prints three result lines: per-sample means, then the p50 and p99 of the single round trips.

Broker and backend come from BENCH_CELERY_BROKER / BENCH_CELERY_BACKEND.
"""
import os
import sys

from celery import Celery
from celery.signals import worker_ready

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

app = Celery("bench_celery", broker=os.environ["BENCH_CELERY_BROKER"], backend=os.environ.get("BENCH_CELERY_BACKEND") or None)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=4,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=True,
)


@app.task(name="multiprocess.echo")
def echo(*args):
    return list(args)


@worker_ready.connect
def _ready(**_):
    print("READY", flush=True)


def client(argv):
    import argparse
    import resource
    import time

    import bench_common

    ap = argparse.ArgumentParser()
    ap.add_argument("--queue", required=True)
    ap.add_argument("--ops", type=int, default=200)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--case", required=True)
    ap.add_argument("--impl", required=True)
    ap.add_argument("--payload-bytes", type=int, default=0)
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args(argv)
    payload = "x" * a.payload_bytes if a.payload_bytes else None
    timed = []

    def batch(n):
        for i in range(n):
            arg = i if payload is None else payload
            t0 = time.perf_counter_ns()
            r = app.send_task("multiprocess.echo", args=[arg], queue=a.queue)
            if r.get(timeout=60) != [arg]:
                raise SystemExit("multiprocess.echo(%d) returned %r" % (i, r.result))
            timed.append(time.perf_counter_ns() - t0)

    # Every single round trip of the measured samples (the warm-up's are dropped), for p50 and p99 as the C# side.
    ops, samples = bench_common.ops(a.ops), bench_common.samples(a.samples)
    batch(ops)
    del timed[:]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = bench_common.measure(batch, ops, samples, warmup=0)
    after = resource.getrusage(resource.RUSAGE_SELF)
    # This process's CPU and context switches per round trip (all its threads), printed as the C# side's counters.
    n = ops * samples
    print("client %.0f \u00b5s CPU, %.1f context switches" % (
        (after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime) / n * 1e6,
        (after.ru_nvcsw + after.ru_nivcsw - usage.ru_nvcsw - usage.ru_nivcsw) / n), flush=True)
    bench_common.report(a.case, a.impl, result)
    timed.sort()
    for q in (50, 99):
        rank = min(len(timed) - 1, max(0, -(-q * len(timed) // 100) - 1))  # nearest rank, as Suites/CelerySuite.cs
        note = "%dth percentile of %d single round trips (%d per sample)" % (q, len(timed), ops)
        bench_common.report("%s p%d" % (a.case, q), a.impl, (timed[0], timed[rank], 1, len(timed)), note)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "client":
    client(sys.argv[2:])
