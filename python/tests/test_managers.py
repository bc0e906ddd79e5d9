"""multiprocess_dotnet's managers: the stdlib's API and proxies, the server in this process on .NET threads. `mp` is
the library under test (conftest: multiprocessing, or multiprocess for the dill flavour) and `shim` its managers."""
import gc
import importlib
import os
import queue
import sys
import threading

import pytest

import shim_targets
from conftest import CHILD_START_METHOD, SPAWN_WORKS, mp


@pytest.fixture
def manager(shim):
    with shim.Manager() as m:
        yield m


def test_manager_server_runs_where_its_mode_says(shim, manager):
    assert isinstance(manager, shim.SyncManager)
    assert isinstance(manager, mp.managers.SyncManager)
    assert manager._process.is_alive()
    if shim.server_mode(manager._ctx) == "inprocess":
        assert manager._process.pid == os.getpid()
        assert mp.active_children() == []                   # no server process
    else:                                                    # a server process: the engine is loaded there
        assert manager._process.pid != os.getpid()
        assert "Multiprocess.Interop.so" in _maps(manager._process.pid)
        if "multiprocess_dotnet._engine" not in sys.modules:
            assert "Multiprocess.Interop.so" not in _maps(os.getpid())
    assert isinstance(manager.address, str) and os.path.exists(manager.address)


def _maps(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def test_sync_types_behave_as_stdlib(manager):
    d = manager.dict({"a": 1})
    d[1] = "one"; d[1.0] = "float one"; d[(1, 2)] = b"x"
    assert d.copy() == {"a": 1, 1: "float one", (1, 2): b"x"}
    assert sorted(map(str, d.keys())) == ["(1, 2)", "1", "a"]
    with pytest.raises(KeyError):
        d["missing"]
    lst = manager.list([3, 1, 2])
    lst.append(0); lst.sort()
    assert lst[:] == [0, 1, 2, 3] and len(lst) == 4
    q = manager.Queue(maxsize=1)
    q.put("x")
    with pytest.raises(queue.Full):
        q.put("y", timeout=0.05)
    assert q.get() == "x"
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    ns = manager.Namespace(a=1)
    ns.b = [1, 2]
    assert (ns.a, ns.b) == (1, [1, 2])
    v = manager.Value("i", 5); v.value += 1
    assert v.value == 6
    arr = manager.Array("d", [1.0, 2.0])
    assert list(arr) == [1.0, 2.0]
    ev = manager.Event()
    assert not ev.wait(0.01); ev.set(); assert ev.is_set()
    lock = manager.Lock()
    assert lock.acquire() and not lock.acquire(timeout=0.01)
    lock.release()
    rlock = manager.RLock()
    with rlock:
        with rlock:
            pass
    sem = manager.BoundedSemaphore(1)
    sem.acquire(); sem.release()
    with pytest.raises(ValueError):
        sem.release()
    cond = manager.Condition()
    with cond:
        assert cond.wait(0.01) is False
    barrier = manager.Barrier(1)
    assert barrier.wait() == 0


def test_references_are_released(manager):
    base = manager._number_of_objects()
    d = manager.dict(); lst = manager.list(); q = manager.Queue()
    assert manager._number_of_objects() == base + 3
    del d, lst, q
    gc.collect()
    assert manager._number_of_objects() == base


def test_blocking_call_blocks_only_its_client(manager):
    q = manager.Queue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get(timeout=10)))
    t.start()
    d = manager.dict()
    for i in range(100):                                    # other calls go on while one waits
        d[i] = i
    q.put("done")
    t.join(10)
    assert got == ["done"] and len(d) == 100


# Children of the shim's manager by each start method that makes them from a fresh interpreter: spawn, and on 3.14
# (whose default it is) also forkserver, in both server modes (fork: test_fork_mode.py, server mode 'process').
CHILD_START_METHODS = [CHILD_START_METHOD] + (["forkserver"] if sys.version_info >= (3, 14) and SPAWN_WORKS else [])


@pytest.mark.parametrize("start_method", CHILD_START_METHODS)
def test_spawned_children_share_proxies(manager, start_method):
    ctx = mp.get_context(start_method)
    d, q, lock, counter = manager.dict(), manager.Queue(), manager.Lock(), manager.Value("i", 0)
    procs = [ctx.Process(target=shim_targets.fill, args=(d, q, lock, counter, k * 50, 50)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert counter.value == 150
    assert d.copy() == {i: i * i for i in range(150)}
    items = sorted(q.get(timeout=5)[1] for _ in range(150))
    assert items == list(range(150)) and q.empty()


def test_context_manager_and_shutdown(shim):
    m = shim.SyncManager(address=("127.0.0.1", 0), authkey=b"abc")
    with m:
        host, port = m.address
        assert host == "127.0.0.1" and port > 0
        d = m.dict(x=1)
        other = mp.managers.SyncManager(m.address, authkey=b"abc")
        other.connect()
        assert other.dict is not None and d.copy() == {"x": 1}
    assert m._state.value == mp.managers.State.SHUTDOWN
    assert m._process.exitcode == 0
    with pytest.raises(mp.managers.ProcessError):
        m.start()


def test_wrong_authkey_is_refused(shim):
    with shim.SyncManager(authkey=b"right") as m:
        wrong = mp.managers.SyncManager(m.address, authkey=b"wrong")
        with pytest.raises(mp.AuthenticationError):
            wrong.connect()
        ok = mp.managers.SyncManager(m.address, authkey=b"right")
        ok.connect()                                         # the server survived the bad client


def test_xmlrpclib_serializer_is_served(shim):
    m = shim.SyncManager(serializer="xmlrpclib")
    m.start()
    try:
        d = m.dict()
        d["x"] = [1, 2.5, "three"]
        assert d["x"] == [1, 2.5, "three"]
    finally:
        m.shutdown()


def test_unknown_serializer_is_refused_clearly(shim):
    with pytest.raises(KeyError, match="json"):          # the library's BaseManager: its listener_client table
        shim.BaseManager(serializer="json")
    with pytest.raises(ValueError, match="'json'"):      # the server itself, for a caller that bypasses that table
        shim.DotnetServer({}, None, b"key", serializer="json")


class AccumulatorManager(mp.managers.BaseManager):
    pass


def test_base_manager_runs_registered_python_classes(shim):
    class M(shim.BaseManager):
        pass
    shared_queue = queue.Queue()
    M.register("Accumulator", shim_targets.Accumulator)
    M.register("get_queue", callable=lambda: shared_queue)
    M.register("Hist", shim_targets.Accumulator, exposed=("add", "history"))
    with M() as m:
        acc = m.Accumulator(10)
        assert acc.add(5) == 15 and acc.get_total() == 15
        with pytest.raises(KeyError, match="boom"):
            acc.fail("boom")
        with pytest.raises(AttributeError):
            acc._private()                                   # not exposed (AutoProxy: public methods only)
        assert "Accumulator" in repr(acc) and str(acc).startswith("<shim_targets.Accumulator object")
        m.get_queue().put("via proxy")
        assert shared_queue.get(timeout=1) == "via proxy"    # the object lives in this interpreter
        h = m.Hist()
        h.add(1); h.add(2)
        assert h.history() == [1, 2]
        with pytest.raises(AttributeError):
            h.get_total()                                    # not in exposed
        ctx = mp.get_context(CHILD_START_METHOD)
        p = ctx.Process(target=shim_targets.use_accumulator, args=(acc, 20))
        p.start(); p.join(120)
        assert p.exitcode == 0 and acc.get_total() == 35
        before = m._number_of_objects()
        del h
        gc.collect()
        assert m._number_of_objects() == before - 1


def test_pool_type_runs_in_this_interpreter(manager):
    pool = manager.Pool(2)
    assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]
    assert pool.apply_async(pow, (2, 10)).get(60) == 1024
    assert sorted(pool.imap_unordered(abs, [-4, 5])) == [4, 5]
    pool.close(); pool.join()


def test_barrier_action_runs_in_this_interpreter(manager):
    results = manager.list()
    barrier = manager.Barrier(2, action=shim_targets.AppendTrue(results))   # the barrier is C#; the action Python
    t = threading.Thread(target=barrier.wait)
    t.start()
    barrier.wait(timeout=30)
    t.join(30)
    assert list(results) == [True]


def test_get_server_serve_forever_until_client_shutdown(shim):
    m = shim.SyncManager(address=("127.0.0.1", 0), authkey=b"k")
    server = m.get_server()
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    client = mp.managers.SyncManager(server.address, authkey=b"k")
    client.connect()
    client.dict()
    conn = mp.connection.Client(server.address, authkey=b"k")
    mp.managers.dispatch(conn, None, "shutdown")
    conn.close()
    t.join(20)
    assert not t.is_alive()


def test_shared_memory_manager_unlinks_segments(shim):
    if not SPAWN_WORKS:
        pytest.skip("multiprocess %s cannot start its resource tracker (the fork_exec of its spawn, docs/peers.md), "
                    "which SharedMemoryManager() starts first" % mp.__version__)
    shared_memory = importlib.import_module(mp.__name__ + ".shared_memory")
    with shim.SharedMemoryManager() as smm:
        shm = smm.SharedMemory(64)
        sl = smm.ShareableList([1, "two", 3.0])
        names = [shm.name, sl.shm.name]
        shm.buf[:3] = b"abc"
        assert bytes(shm.buf[:3]) == b"abc" and sl[1] == "two"
        shm.close(); sl.shm.close()
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name)
