"""Peer side of the manager-client suite (Suites/ManagerClientSuite.cs).

  bench_manager_client.py server          start a SyncManager on 127.0.0.1 (ephemeral port), print host:port,
                                          serve until stdin closes
  bench_manager_client.py client ADDRESS  CPython's own client, running timed batches on request (stdin: "CASE OPS",
                                          stdout: elapsed ns), so that C# interleaves its samples with these
  bench_manager_client.py alone ADDRESS   the same batches timed by bench_common alone (JSON lines)
"""
import sys
import time

from bench_common import measure, ops, report, samples
from multiprocessing.managers import SyncManager

import bench_common as bc

AUTHKEY = b"bench-manager-client"
IMPL = "CPython %d.%d client" % sys.version_info[:2]


def serve():
    bc.serve_sync_manager(AUTHKEY)


def client(text):
    """Runs batches on request, so the C# side can interleave its samples with these under the same load.

    stdin: one "CASE OPS" line per batch; stdout: the batch's elapsed nanoseconds. EOF ends.
    """
    host, port = text.rsplit(":", 1)
    m = SyncManager(address=(host, int(port)), authkey=AUTHKEY)
    m.connect()
    d, lst, q, lock = m.dict(), m.list(), m.Queue(), m.Lock()
    d["k"] = 0

    def dict_set(n):
        for i in range(n):
            d["k"] = i

    def dict_get(n):
        for _ in range(n):
            d["k"]

    def list_append(n):
        for i in range(n):
            lst.append(i)

    def queue_put_get(n):
        for i in range(n):
            q.put(i)
            q.get()

    def lock_acquire_release(n):
        for _ in range(n):
            lock.acquire()
            lock.release()

    cases = {"dict_set": dict_set, "dict_get": dict_get, "list_append": list_append,
             "queue_put_get": queue_put_get, "lock_acquire_release": lock_acquire_release}
    print(IMPL, flush=True)
    for line in sys.stdin:
        name, n = line.split()
        batch = cases[name]
        t0 = time.perf_counter_ns()
        batch(int(n))
        print(time.perf_counter_ns() - t0, flush=True)
        if len(lst) > 100000:
            del lst[:]


def standalone(text):
    """The same cases timed by bench_common alone (no C# side), for running this script by hand."""
    import subprocess
    proc = subprocess.Popen([sys.executable, __file__, "client", text], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    impl = proc.stdout.readline().strip()
    for name in ("dict_set", "dict_get", "list_append", "queue_put_get", "lock_acquire_release"):
        def batch(n, name=name):
            proc.stdin.write("%s %d\n" % (name, n))
            proc.stdin.flush()
            proc.stdout.readline()
        report(name, impl, measure(batch, ops(2000), samples(15)))
    proc.stdin.close()
    proc.wait()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    elif sys.argv[1] == "client":
        client(sys.argv[2])
    else:
        standalone(sys.argv[2])
