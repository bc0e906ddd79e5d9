# A program written for the fork start method (Linux's default before 3.14): no `if __name__ == "__main__":` guard,
# a Pool and a Manager at module level, and workers that read module state set after import (a forked child inherits
# it; a spawned child would re-run this file). python/tests/test_fork_mode.py runs it with and without the shim.
import multiprocessing
import os
import sys

if len(sys.argv) > 2:
    multiprocessing.set_start_method(sys.argv[2])                    # 3.14's default is forkserver

STATE = {"factor": 1}


def scale(n):
    return n * STATE["factor"]


STATE["factor"] = int(sys.argv[1]) if len(sys.argv) > 1 else 10
m = multiprocessing.Manager()
results = m.list()
shared = m.dict()
with multiprocessing.Pool(2) as pool:
    results.extend(pool.map(scale, range(5)))
    shared["pool"] = sorted(pool.map(os.getpid().__class__, [0]))     # a round trip through a worker
proxy_pool = m.Pool(2)                                               # a Pool the manager's server holds
shared["proxy"] = proxy_pool.map(scale, range(3))
proxy_pool.close()
proxy_pool.join()
print("results", list(results))
print("proxy pool", shared["proxy"])
print("manager", type(m).__module__, "own server process", m._process.pid != os.getpid())
print("start method", multiprocessing.get_start_method())
m.shutdown()
