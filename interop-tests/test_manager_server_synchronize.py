"""Stock Python manager clients against the C# SyncManager server (`multiprocess serve`): its synchronization
types (the `threading` objects the manager serves, multiprocessing's `synchronize` vocabulary): Lock, RLock owned by
the client's connection, Semaphore/BoundedSemaphore, Event, Condition (also over a Lock proxy) and Barrier. The rest
of the SyncManager types: test_manager_server.py, test_manager_server_queues.py."""
import threading
import time

import pytest

from manager_server_helpers import watchdog, m, server  # noqa: F401 (m, server: module fixtures)


# ---------------------------------------------------------------- synchronization


def test_lock(m):
    lock = m.Lock()
    assert lock.acquire() is True
    assert lock.acquire(False) is False
    t = time.monotonic()
    assert lock.acquire(True, 0.2) is False
    assert time.monotonic() - t >= 0.15
    result = []
    th = threading.Thread(target=lambda: result.append(lock.release()))   # plain locks are not owned
    th.start()
    th.join(5)
    assert result == [None]
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.release()
    with lock:
        assert "locked" in str(lock)
    assert str(lock).startswith("<unlocked _thread.lock object at 0x")


def test_rlock_is_owned_by_the_client_connection(m):
    rlock = m.RLock()
    assert rlock.acquire() and rlock.acquire()           # re-entrant for the same thread (connection)
    assert "count=2" in str(rlock)
    errors = []

    def other():
        try:
            rlock.release()
        except RuntimeError as e:
            errors.append(str(e))
        errors.append(rlock.acquire(timeout=0.1))

    th = threading.Thread(target=other)
    th.start()
    th.join(5)
    assert errors == ["cannot release un-acquired lock", False]
    rlock.release()
    rlock.release()
    with pytest.raises(RuntimeError):
        rlock.release()


def test_semaphores(m):
    s = m.Semaphore(2)
    assert s.acquire() and s.acquire() and s.acquire(False) is False
    assert s.acquire(timeout=0.1) is False
    s.release()
    assert "value=1" in str(s)
    b = m.BoundedSemaphore(1)
    with pytest.raises(ValueError, match="released too many times"):
        b.release()
    with pytest.raises(ValueError, match="can't specify timeout"):
        s.acquire(False, 1)


def test_event(m):
    e = m.Event()
    assert e.is_set() is False and e.wait(0.05) is False
    th = threading.Timer(0.1, e.set)
    th.start()
    assert e.wait(5) is True and e.is_set()
    e.clear()
    assert not e.is_set()
    th.join()


def test_condition(m):
    c = m.Condition()
    items = m.list()

    def producer():
        with c:
            items.append(1)
            c.notify()

    with pytest.raises(RuntimeError, match="un-acquired lock"):
        c.wait(0.01)
    with c:
        threading.Timer(0.05, producer).start()
        assert c.wait_for(lambda: len(items) == 1, timeout=5)
        assert c.wait(0.05) is False
    with pytest.raises(RuntimeError, match="cannot notify on un-acquired lock"):
        c.notify()


def test_condition_over_a_lock_proxy(m):
    lock = m.Lock()
    c = m.Condition(lock)
    with c:
        assert "locked _thread.lock" in str(lock)
        c.notify_all()
    assert "unlocked" in str(lock)


def test_barrier(m, mp):
    b = m.Barrier(3, timeout=5)
    assert b.parties == 3 and b.n_waiting == 0 and b.broken is False
    results = []
    threads = [threading.Thread(target=lambda: results.append(b.wait())) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while b.n_waiting < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    results.append(b.wait())
    for t in threads:
        t.join(5)
    assert sorted(results) == [0, 1, 2]
    with pytest.raises(threading.BrokenBarrierError):
        b.wait(0.05)
    assert b.broken
    b.reset()
    assert not b.broken
    b.abort()
    with pytest.raises(threading.BrokenBarrierError):
        b.wait()


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
