"""Locks shared by name between the C# engine (its test peer process) and the Python peer, both ways: ownership,
recursion, bounds, timeouts, and a counter incremented 10,000 times on each side under one Lock."""
import struct
import threading
import time

import pytest

from shm_support import SEM_VALUE_MAX, CSharpError, CSharpPeer, rebuild, semaphore_exists, untracked  # noqa: F401


@pytest.fixture
def peer():
    with CSharpPeer() as p:
        yield p


def test_lock_created_in_csharp_python_rebuilds_it(peer, untracked):
    made = peer("lock", "Lock")
    lk = rebuild(untracked, untracked.synchronize.Lock, 1, 1, made["name"])
    assert peer("acquire", made["id"]) is True
    assert lk.acquire(False) is False
    t0 = time.monotonic()
    assert lk.acquire(True, 0.1) is False
    assert time.monotonic() - t0 >= 0.09
    peer("release", made["id"])
    assert lk.acquire(True, 5) is True
    assert peer("acquire", made["id"], "0.1") is False  # a timed acquire in C# while Python holds it
    lk.release()
    with pytest.raises(ValueError, match="semaphore or lock released too many times"):
        lk.release()
    with pytest.raises(CSharpError, match="SemaphoreFullException: semaphore or lock released too many times"):
        peer("release", made["id"])
    peer("dispose", made["id"])  # the creator unlinks
    assert not semaphore_exists(made["name"])


def test_locks_created_in_python_csharp_rebuilds_them(peer, untracked):
    ctx = untracked.get_context("spawn")
    rl, bs = ctx.RLock(), ctx.BoundedSemaphore(2)
    r = peer("rebuild", 0, 1, rl._semlock.name)["id"]
    b = peer("rebuild", 1, 2, bs._semlock.name)["id"]

    rl.acquire()
    rl.acquire()
    assert peer("acquire", r, "noblock") is False
    rl.release()
    assert peer("acquire", r, "0.05") is False, "still held once by Python"
    rl.release()
    assert peer("acquire", r, "5") is True and peer("acquire", r) is True
    assert peer("count", r) == 2
    assert rl.acquire(False) is False
    peer("release", r)
    assert rl.acquire(False) is False
    peer("release", r)
    assert rl.acquire(False) is True
    with pytest.raises(CSharpError, match="attempt to release recursive lock not owned by thread"):
        peer("release", r)
    rl.release()

    assert peer("acquire", b, "noblock") is True
    assert bs.get_value() == 1
    bs.release()
    with pytest.raises(CSharpError, match="released too many times"):
        peer("release", b)
    assert repr(bs) == "<BoundedSemaphore(value=2, maxvalue=2)>"


def test_semaphore_value_is_shared(peer, untracked):
    made = peer("lock", "Semaphore", 5)
    se = rebuild(untracked, untracked.synchronize.Semaphore, 1, SEM_VALUE_MAX, made["name"])
    assert se.get_value() == 5
    for _ in range(5):
        assert se.acquire(False)
    assert peer("acquire", made["id"], "0.05") is False
    se.release()
    assert peer("value", made["id"]) == 1
    assert peer("acquire", made["id"], "noblock") is True
    assert se.get_value() == 0


@pytest.mark.parametrize("creator", ["csharp", "python"])
def test_counter_ten_thousand_adds_each_side_under_one_lock(peer, untracked, creator):
    n = 10_000
    shm = untracked.shared_memory.SharedMemory(create=True, size=8)
    try:
        if creator == "python":
            lk = untracked.get_context("spawn").Lock()
            lock_id = peer("rebuild", 1, 1, lk._semlock.name)["id"]
        else:
            made = peer("lock", "Lock")
            lock_id = made["id"]
            lk = rebuild(untracked, untracked.synchronize.Lock, 1, 1, made["name"])
        shm_id = peer("attach", shm.name)["id"]

        peer.send("counter", shm_id, lock_id, n)  # runs in the C# process while Python counts here
        for _ in range(n):
            with lk:
                v, = struct.unpack_from("q", shm.buf, 0)
                struct.pack_into("q", shm.buf, 0, v + 1)
        peer.reply()
        assert struct.unpack_from("q", shm.buf, 0)[0] == 2 * n
    finally:
        shm.close()
        shm.unlink()


def test_blocking_acquire_in_csharp_wakes_on_python_release(peer, untracked):
    lk = untracked.get_context("spawn").Lock()
    lk.acquire()
    lock_id = peer("rebuild", 1, 1, lk._semlock.name)["id"]
    peer.send("acquire", lock_id)  # blocks in C#
    threading.Timer(0.1, lk.release).start()
    t0 = time.monotonic()
    assert peer.reply() is True
    assert 0.05 < time.monotonic() - t0 < 10
    assert lk.acquire(False) is False
