"""CPython's side of the `forkserver` suite: start+join of a no-op child through CPython's own forkserver (the same
target as the C# side, bench_process_targets.noop).

usage: bench_forkserver.py [--smoke]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import multiprocessing as mp  # noqa: E402

import bench_process_targets as targets  # noqa: E402
from bench_common import measure, ops, report, samples  # noqa: E402

IMPL = "CPython %d.%d → forkserver" % sys.version_info[:2]


def main():
    ctx = mp.get_context("forkserver")

    def start_join(n):
        for _ in range(n):
            p = ctx.Process(target=targets.noop)
            p.start()
            p.join()
            assert p.exitcode == 0, p.exitcode

    report("start+join of a no-op Python child through a forkserver", IMPL, measure(start_join, ops(5), samples(7)))


if __name__ == "__main__":
    main()
