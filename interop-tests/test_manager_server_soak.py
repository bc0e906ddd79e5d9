"""Soak: 4 client processes hammer one C# manager server with mixed operations, then every invariant is checked
exactly (no queue item lost or duplicated, counters exact, no leaked objects).

CI runs it for 10 s once per tox run, in py313: the operations are version-independent server work, and the wire
of each version is what the rest of the suite checks (the chaos soak, test_chaos_soak.py, runs in py312 and mixes
3.8 and 3.12 clients with kills). MULTIPROCESS_SOAK=1 runs 60 s, in whichever env is asked for."""
import gc
import os
import random
import sys
import time

import pytest

from conftest import PEER_LIB
from manager_server_helpers import watchdog, ServerProcess

SOAK = os.environ.get("MULTIPROCESS_SOAK") == "1"
DURATION = 60.0 if SOAK else 10.0
WORKERS = 4

pytestmark = pytest.mark.skipif(not SOAK and (PEER_LIB != "multiprocessing" or sys.version_info[:2] != (3, 13)),
                                reason="the same server workload in every env: CI runs it once, in py313 "
                                       "(MULTIPROCESS_SOAK=1 runs it anywhere)")


def worker(w, duration, lock, rlock, stats, q, log, value, arr, ns, m_address, authkey, reports, peer_lib):
    import importlib
    managers = importlib.import_module(peer_lib + ".managers")
    m = managers.SyncManager(m_address, authkey)
    m.connect()
    rng = random.Random(w)
    end = time.monotonic() + duration
    locked = rlocked = slot = 0
    puts, gets, appended = [], [], []
    seq = 0
    ops = 0
    while time.monotonic() < end:
        op = rng.randrange(8)
        seq += 1
        if op == 0:
            with lock:
                stats["counter"] = stats["counter"] + 1
            locked += 1
        elif op == 1:
            q.put((w, seq))
            puts.append((w, seq))
        elif op == 2:
            try:
                gets.append(q.get(timeout=0.005))
            except Exception as e:                      # queue.Empty
                assert type(e).__name__ == "Empty", repr(e)
        elif op == 3:
            log.append((w, seq))
            appended.append((w, seq))
        elif op == 4:
            with rlock:
                with rlock:
                    value.value = value.value + 1
            rlocked += 1
        elif op == 5:
            arr[w] = arr[w] + 1                         # only this worker writes its slot
            slot += 1
        elif op == 6:
            d = m.dict(w=w, seq=seq)                     # create, use, drop: refcounts must come back
            assert d["seq"] == seq
            del d
        else:
            setattr(ns, f"w{w}", seq)
            assert getattr(ns, f"w{w}") == seq
        ops += 1
    reports.append({"w": w, "locked": locked, "rlocked": rlocked, "slot": slot, "puts": puts, "gets": gets,
                    "appended": appended, "ops": ops})


def test_soak(server_for_soak, peer_lib, mp):
    s = server_for_soak
    m = s.manager()
    gc.collect()
    baseline = m._number_of_objects()
    lock, rlock = m.Lock(), m.RLock()
    stats, q, log = m.dict(counter=0), m.Queue(), m.list()
    value, arr, ns = m.Value("i", 0), m.Array("q", [0] * WORKERS), m.Namespace()
    reports = m.list()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=worker, args=(w, DURATION, lock, rlock, stats, q, log, value, arr, ns, s.address,
                                              s.authkey, reports, peer_lib))
             for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(DURATION + 60)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    assert s.alive()
    reps = list(reports)
    assert len(reps) == WORKERS
    remaining = []
    while q.qsize():
        remaining.append(q.get_nowait())
    all_puts = [tuple(x) for r in reps for x in r["puts"]]
    all_gets = [tuple(x) for r in reps for x in r["gets"]] + [tuple(x) for x in remaining]
    assert len(set(all_puts)) == len(all_puts)
    assert sorted(all_gets) == sorted(all_puts), "queue items lost or duplicated"
    assert stats["counter"] == sum(r["locked"] for r in reps)
    assert value.value == sum(r["rlocked"] for r in reps)
    assert list(arr) == [next(r["slot"] for r in reps if r["w"] == w) for w in range(WORKERS)]
    assert sorted(tuple(x) for x in log) == sorted(tuple(x) for r in reps for x in r["appended"])
    total = sum(r["ops"] for r in reps)
    print(f"soak: {WORKERS} processes x {DURATION:.0f} s, {total} operations ({total / DURATION:.0f}/s), "
          f"{len(all_puts)} queue items")
    del lock, rlock, stats, q, log, value, arr, ns, reports
    gc.collect()
    assert m._number_of_objects() == baseline, m._debug_info()


@pytest.fixture(scope="module")
def server_for_soak(peer_lib):
    s = ServerProcess("abstract" if peer_lib == "multiprocess" else "unix")
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(DURATION + 180):
        yield
