"""Timing helpers shared by the Python peer scripts; the same method as Harness/Sampler.cs.

Each script prints one JSON line per measured case:
{"case": ..., "impl": ..., "min_ns": ..., "median_ns": ..., "samples": N, "ops": N[, "note": "..."]}
"""
import json
import statistics
import sys
import time

SMOKE = "--smoke" in sys.argv


def samples(full):
    return 2 if SMOKE else full


def ops(full):
    return max(1, min(full, 10)) if SMOKE else full


def measure(batch, ops_per_sample, n_samples, warmup=1):
    """Time batch(ops_per_sample) n_samples times; return per-op ns (min, median)."""
    for _ in range(warmup):
        batch(ops_per_sample)
    per_op = []
    for _ in range(n_samples):
        t0 = time.perf_counter_ns()
        batch(ops_per_sample)
        per_op.append((time.perf_counter_ns() - t0) / ops_per_sample)
    return min(per_op), statistics.median(per_op), n_samples, ops_per_sample


def report(case, impl, result, note=None):
    mn, med, n, k = result
    line = {"case": case, "impl": impl, "min_ns": mn, "median_ns": med, "samples": n, "ops": k}
    if note:
        line["note"] = note
    print(json.dumps(line), flush=True)


def serve_sync_manager(authkey):
    """A stock SyncManager server on 127.0.0.1 (ephemeral port): prints host:port, serves until stdin closes."""
    import os
    import threading
    from multiprocessing.managers import SyncManager

    server = SyncManager(address=("127.0.0.1", 0), authkey=authkey).get_server()
    print("%s:%d" % server.address, flush=True)

    def watch_stdin():
        while os.read(0, 4096):
            pass
        # serve_forever() creates stop_event; sleep rather than spin while it starts (the clients need the core).
        while not hasattr(server, "stop_event"):
            time.sleep(0.01)
        server.stop_event.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()
