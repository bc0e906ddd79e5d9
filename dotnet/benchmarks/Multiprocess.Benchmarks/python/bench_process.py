"""CPython's side of the `process` suite: Pool.map of bench_process_targets.square with the same worker count and
chunksize as the C# Pool.Map; Queue throughput Python → Python (1→1 and 2→2, same round structure as the C# side);
spawn start+join of a no-op process.

usage: bench_process.py ITEMS MESSAGES [--smoke]
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import multiprocessing as mp  # noqa: E402

import bench_process_targets as targets  # noqa: E402
from bench_common import measure, ops, report, samples  # noqa: E402

IMPL = "CPython %d.%d" % sys.version_info[:2]
ITEM = (12345, "message")


def pool_map(ctx, items):
    with ctx.Pool(2) as pool:
        pool.map(targets.square, range(10))  # the workers are up
        for chunksize in (100, 10):
            data = list(range(items))
            report(f"Pool.map square {items} items, 2 workers, chunksize {chunksize}", IMPL,
                   measure(lambda n: [pool.map(targets.square, data, chunksize) for _ in range(n)], 1, samples(7)))


def queue_rounds(ctx, producers, consumers, messages):
    q = ctx.Queue()
    done = ctx.Queue()
    gos = [ctx.Queue() for _ in range(consumers)]
    procs = [ctx.Process(target=targets.consume_rounds, args=(q, done, go)) for go in gos]
    for p in procs:
        p.start()
    first = [True]

    def round_(n):
        if not first[0]:
            for go in gos:
                go.put(True)
        first[0] = False
        share = n // producers
        threads = [threading.Thread(target=lambda: [q.put(ITEM) for _ in range(share)]) for _ in range(producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _ in range(consumers):
            q.put(None)
        got = sum(done.get() for _ in range(consumers))
        assert got == share * producers, (got, n)

    result = measure(round_, messages, samples(7))
    for go in gos:
        go.put(None)
    for p in procs:
        p.join()
    return result


def main():
    items, messages = int(sys.argv[1]), int(sys.argv[2])
    ctx = mp.get_context("spawn")
    pool_map(ctx, items)
    report("Queue 1→1 messages", "Python → Python", queue_rounds(ctx, 1, 1, messages))
    report("Queue 2→2 messages", "Python → Python", queue_rounds(ctx, 2, 2, messages))

    def spawn(n):
        for _ in range(n):
            p = ctx.Process(target=targets.noop)
            p.start()
            p.join()

    report("process start+join (spawn, no-op target)", IMPL, measure(spawn, ops(5), samples(7)))


if __name__ == "__main__":
    main()
