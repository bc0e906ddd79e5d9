"""Peer side of the sharedctypes suite (Suites/SharedCTypesSuite.cs): one increment of a shared Value('i') under its
lock, against the same increment of a manager Value (get + set, two round trips).

  bench_sharedctypes.py server          start a SyncManager on 127.0.0.1 (ephemeral port), print host:port, serve
                                        until stdin closes
  bench_sharedctypes.py client ADDRESS  run timed batches on request (stdin: "CASE OPS", stdout: elapsed ns), so that
                                        C# interleaves its samples with these under the same load
"""
import sys
import time

import multiprocessing as mp
from multiprocessing.managers import SyncManager

import bench_common as bc

AUTHKEY = b"bench-sharedctypes"
IMPL = "CPython %d.%d" % sys.version_info[:2]


def serve():
    bc.serve_sync_manager(AUTHKEY)


def client(text):
    host, port = text.rsplit(":", 1)
    m = SyncManager(address=(host, int(port)), authkey=AUTHKEY)
    m.connect()
    managed = m.Value("i", 0)
    shared = mp.get_context("spawn").Value("i", 0)
    lock = shared.get_lock()

    def shared_increment(n):
        for _ in range(n):
            with lock:
                shared.value += 1

    def manager_increment(n):
        for _ in range(n):
            managed.value += 1

    cases = {"shared": shared_increment, "manager": manager_increment}
    print(IMPL, flush=True)
    for line in sys.stdin:
        name, n = line.split()
        t0 = time.perf_counter_ns()
        cases[name](int(n))
        print(time.perf_counter_ns() - t0, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        client(sys.argv[2])
