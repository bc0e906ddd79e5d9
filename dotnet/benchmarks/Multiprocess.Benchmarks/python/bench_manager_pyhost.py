"""Stock CPython clients calling Python-backed referents of a manager server: the C# server (address given; its
Pool and AsyncResults live in its Python host, docs/python-host.md) or CPython's own SyncManager server (started
here). Prints bench_common JSON lines:

* "Pool(2).map(abs, range(1000))": one map of 1000 items through the manager's Pool (ns per map)
* "Pool(2).map(abs, range(10))": a small map: the fixed cost of a Pool call
* "Pool(2).apply(abs, (-1,))": one task through the Pool's workers
* "AsyncResult.ready(): a call on a Python-backed referent": one method call on a Python object in the server

usage: bench_manager_pyhost.py --impl NAME (--address ADDR --authkey HEX | --cpython) [--smoke]
"""
import argparse
import multiprocessing as mp
from multiprocessing.managers import SyncManager

from bench_common import measure, ops, report, samples


def bench(impl, m):
    pool = m.Pool(2)
    big = list(range(1000))
    small = list(range(10))
    report("Pool(2).map(abs, range(1000))", impl,
           measure(lambda n: [pool.map(abs, big) for _ in range(n)], ops(20), samples(5)))
    report("Pool(2).map(abs, range(10))", impl,
           measure(lambda n: [pool.map(abs, small) for _ in range(n)], ops(300), samples(5)))
    report("Pool(2).apply(abs, (-1,))", impl,
           measure(lambda n: [pool.apply(abs, (-1,)) for _ in range(n)], ops(300), samples(5)))
    result = pool.apply_async(abs, (-1,))
    result.get()
    report("AsyncResult.ready(): a call on a Python-backed referent", impl,
           measure(lambda n: [result.ready() for _ in range(n)], ops(3000), samples(5)))
    pool.terminate()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", required=True)
    parser.add_argument("--address")
    parser.add_argument("--authkey")
    parser.add_argument("--cpython", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.cpython:
        m = SyncManager(ctx=mp.get_context("fork"))
        m.start()
        try:
            bench(args.impl, m)
        finally:
            m.shutdown()
    else:
        key = bytes.fromhex(args.authkey)
        mp.current_process().authkey = key
        m = SyncManager(args.address, key)
        m.connect()
        bench(args.impl, m)


if __name__ == "__main__":
    main()
