"""Stock Python manager clients against the C# SyncManager server (`multiprocess serve`): its queues (Queue and
JoinableQueue, `queue.Queue` as the manager serves it): put/get with and without timeouts, bounded queues,
task_done/join, shutdown (3.13+), and a blocking get that blocks only its own client. The rest of the SyncManager
types: test_manager_server.py, test_manager_server_synchronize.py."""
import queue
import sys
import threading
import time

import pytest

from manager_server_helpers import watchdog, m, server  # noqa: F401 (m, server: module fixtures)


# ---------------------------------------------------------------- queues


def test_queue(m):
    q = m.Queue()
    for i in range(3):
        q.put(i)
    assert q.qsize() == 3 and not q.empty() and not q.full()
    assert [q.get(), q.get_nowait(), q.get(timeout=1)] == [0, 1, 2]
    assert q.empty()
    with pytest.raises(queue.Empty):
        q.get_nowait()
    t = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
    assert 0.15 < time.monotonic() - t < 5
    with pytest.raises(ValueError, match="non-negative"):
        q.get(timeout=-1)
    bounded = m.Queue(2)
    bounded.put(1)
    bounded.put_nowait(2)
    assert bounded.full()
    with pytest.raises(queue.Full):
        bounded.put(3, timeout=0.05)
    with pytest.raises(queue.Full):
        bounded.put_nowait(3)


def test_joinable_queue_task_done_and_join(m):
    q = m.JoinableQueue()
    q.put("job")
    done = []

    def worker():
        q.get()
        time.sleep(0.1)
        q.task_done()
        done.append(1)

    t = threading.Thread(target=worker)
    t.start()
    q.join()                              # blocks only this client until task_done
    t.join(5)
    assert done == [1]
    with pytest.raises(ValueError, match="task_done\\(\\) called too many times"):
        q.task_done()


def test_queue_exposes_what_cpython_313_computes(m):
    q = m.Queue()
    assert sorted(q._exposed_) == ["empty", "full", "get", "get_nowait", "join", "put", "put_nowait", "qsize",
                                   "shutdown", "task_done"]


@pytest.mark.skipif(sys.version_info < (3, 13), reason="queue.ShutDown exists from Python 3.13 on")
def test_queue_shutdown(m):
    q = m.Queue()
    q.put(1)
    q.shutdown()
    with pytest.raises(queue.ShutDown):
        q.put(2)
    assert q.get() == 1
    with pytest.raises(queue.ShutDown):
        q.get()


def test_blocking_get_blocks_only_its_own_client(m):
    q = m.Queue()
    d = m.dict()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=120)))
    t.start()                                      # its own connection, blocked in the server
    time.sleep(0.1)
    for i in range(50):
        d[i] = i
    # Done while the get still blocks (it ends only with the put below or its 120 s): not after it.
    assert t.is_alive() and got == [] and len(d) == 50
    q.put("wake")
    t.join(30)
    assert got == ["wake"]


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
