"""The Python host behind `multiprocess serve` (docs/python-host.md): referents only Python can run — Pool
callbacks, Barrier actions, callables registered with --register/--manager (generators through IteratorProxy,
method_to_typeid, custom proxy types), the server's initializer — made by stock clients, served by a Python process
the C# server supervises; the Pool itself (served by the C# server with CPython workers), its AsyncResults and
iterators; --no-python refuses them clearly; a host killed with SIGKILL mid-call fails its own calls with a
RemoteError naming what happened and is replaced, while native referents (the Pool among them) go on.
"""
import importlib
import os
import re
import signal
import threading
import time

import pytest

from conftest import PEER_LIB
from manager_server_helpers import ServerProcess, watchdog

import pyhost_types

mp = importlib.import_module(PEER_LIB)
managers = importlib.import_module(PEER_LIB + ".managers")
RemoteError = managers.RemoteError
FAMILY = "abstract" if PEER_LIB == "multiprocess" else "unix"


def square(x):
    return x * x


def add(a, b):
    return a + b


def fail(x):
    raise ZeroDivisionError("failed on %r" % (x,))


def host_pids(server):
    return [int(p) for p in re.findall(r"python host started: pid (\d+)", server.log())]


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield


@pytest.fixture(scope="module")
def server():
    s = ServerProcess(FAMILY)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pool(server):
    m = server.manager()
    p = m.Pool(2)
    yield p
    p.terminate()


def test_pool_methods(pool):
    assert pool.apply(add, (2, 3)) == 5
    assert pool.apply_async(square, (7,)).get(timeout=20) == 49
    assert pool.map(square, range(10)) == [i * i for i in range(10)]
    assert pool.map_async(square, range(5)).get(timeout=20) == [0, 1, 4, 9, 16]
    assert list(pool.imap(square, range(6))) == [0, 1, 4, 9, 16, 25]
    assert sorted(pool.imap_unordered(square, range(6), chunksize=2)) == [0, 1, 4, 9, 16, 25]
    assert pool.starmap(add, [(1, 2), (3, 4)]) == [3, 7]
    assert pool.starmap_async(add, [(5, 6)]).get(timeout=20) == [11]


def test_pool_async_result_proxy_and_errors(pool):
    result = pool.apply_async(fail, (3,))
    result.wait(timeout=20)
    assert result.ready() and not result.successful()
    with pytest.raises(ZeroDivisionError, match="failed on 3"):
        result.get(timeout=20)
    with pytest.raises(ZeroDivisionError):
        pool.map(fail, [1])
    slow = pool.apply_async(pyhost_types_sleep, (0.5,))
    with pytest.raises(mp.TimeoutError):            # the client's own class: the host uses the client's flavour
        slow.get(timeout=0.05)
    assert slow.get(timeout=20) == 0.5


def pyhost_types_sleep(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.skipif(PEER_LIB != "multiprocess", reason="functions by value (dill) are what the multiprocess peer sends")
def test_pool_runs_lambdas_of_dill_clients(pool):
    offset = 10
    assert pool.map(lambda x: x + offset, [1, 2, 3]) == [11, 12, 13]


def test_pool_close_join_terminate(server):
    m = server.manager()
    p = m.Pool(1)
    assert p.apply(square, (3,)) == 9
    p.close()
    p.join()
    with pytest.raises(ValueError, match="Pool not running"):
        p.apply(square, (3,))
    q = m.Pool(1)
    q.terminate()
    with m.Pool(1) as r:                            # PoolProxy.__exit__ terminates
        assert r.map(square, [2]) == [4]


def test_barrier_action_runs_in_the_host(server):
    m = server.manager()
    results = m.list()
    barrier = m.Barrier(3, action=pyhost_types.AppendTrue(results))
    threads = [threading.Thread(target=barrier.wait) for _ in range(2)]
    for t in threads:
        t.start()
    barrier.wait(timeout=20)
    for t in threads:
        t.join(20)
    assert list(results) == [True]
    broken = m.Barrier(1, action=pyhost_types.raise_error)
    with pytest.raises(RuntimeError, match="action failed"):
        broken.wait()
    assert broken.broken


def test_no_python_refuses_clearly():
    s = ServerProcess(FAMILY, extra=("--no-python",))
    try:
        m = s.manager()
        with pytest.raises(RemoteError, match="no Python host to run a multiprocessing.Pool"):
            m.Pool(1)
        with pytest.raises(RemoteError, match=r"Barrier\(action=.*no Python host"):
            m.Barrier(2, action=pyhost_types.raise_error)
        assert m.Barrier(2).parties == 2
    finally:
        s.stop()


@pytest.fixture(scope="module")
def registered():
    s = ServerProcess(FAMILY, extra=("--manager", "pyhost_types:CounterManager",
                                     "--register", "Counter2=pyhost_types:Counter,pyhost_types:CounterProxy",
                                     "--initializer", "pyhost_types:initialize", "--initargs", "(7, 'x')"))
    yield s
    s.stop()


def test_registered_types(registered):
    pyhost_types.CounterManager.register("Counter2", proxytype=pyhost_types.CounterProxy, create_method=True)
    m = registered.manager(pyhost_types.CounterManager)
    c = m.Counter(5)
    assert c.increment() == 6 and c.increment(4) == 10
    child = c.fork()                                # method_to_typeid: a new proxy of an object kept in the host
    assert type(child) is pyhost_types.CounterProxy and child.value() == 10
    assert child.increment() == 11 and c.value() == 10
    with pytest.raises(ValueError, match="counter failed at 10"):
        c.fail()
    assert list(m.squares(5)) == [0, 1, 4, 9, 16]   # a generator behind IteratorProxy
    auto = m.AutoCounter(1)                         # AutoProxy: public methods of the object
    assert auto.increment() == 2 and not hasattr(auto, "_private")
    hidden = m.HiddenCounter(3)
    assert hidden._private() == "private" and hidden.value() == 3
    with pytest.raises(RemoteError):
        hidden._callmethod("increment")
    c2 = m.Counter2(1)
    assert c2.increment() == 2
    assert "Counter(" not in repr(c2) and "pyhost_types.Counter object" in str(c2)
    assert m.State().get("initialized") == 7 and m.State().get("extra") == "x"


def test_pool_workers_run_the_servers_initializer_first(registered):
    """CPython forks a manager's Pool workers from its server process, after start(initializer) ran there; these come
    from a forkserver and run the server's initializer (the host's own `initialize`), then the Pool's."""
    pool = registered.manager().Pool(1, initializer=pyhost_types.initialize_pool, initargs=("pool",))
    try:
        assert pool.apply(pyhost_types.state, ("initialized",)) == 7
        assert pool.apply(pyhost_types.state, ("pool",)) == ("pool", 7)
    finally:
        pool.terminate()


def test_register_errors_are_clear():
    with pytest.raises(AssertionError, match="No module named 'no_such_module'"):
        ServerProcess(FAMILY, extra=("--register", "X=no_such_module:thing"))


@pytest.fixture
def own_server():
    s = ServerProcess(FAMILY, extra=("--manager", "pyhost_types:SleeperManager"))
    yield s
    s.stop()


def test_host_killed_mid_call_loses_nothing_outside_it(own_server, tmp_path):
    """SIGKILL the host while a call on a registered Python object runs and other clients use native referents."""
    server = own_server
    m = server.manager(pyhost_types.SleeperManager)
    d = m.dict()
    q = m.Queue()
    stop = threading.Event()
    errors = []
    other_dict = {}
    done = [0]                                       # calls of native_traffic so far

    def native_traffic():
        other = server.manager()
        dd = other.dict()
        i = 0
        try:
            while not stop.is_set() and i < 400:
                d[i] = i
                q.put(i)
                dd[i] = -i
                i += 1
                done[0] = i
                time.sleep(0.005)                   # spread over the kill
            other_dict.update(dd.copy())             # the other client's own referent, read after the kill
        except Exception as e:                       # pragma: no cover - reported below
            errors.append(e)
        errors.append(("count", i))

    worker = threading.Thread(target=native_traffic)
    worker.start()
    p = m.Pool(1)                                   # served by the C# server: its workers are not the host's
    assert p.apply(square, (2,)) == 4
    sleeper = m.Sleeper()
    assert sleeper.square(2) == 4
    # The host's pid from the host itself: the server's log is written by its console logger's own thread, so a
    # line may not be in the file yet when the call that caused it has returned.
    victim = sleeper.pid()
    assert victim != os.getpid() and victim != server.proc.pid
    failure = []

    marker = str(tmp_path / "sleeping")

    def long_call():
        try:
            sleeper.sleep_marked(marker, 30)
        except Exception as e:
            failure.append(e)

    caller = threading.Thread(target=long_call)
    caller.start()
    deadline = time.monotonic() + 60                 # a hang guard: the kill must land while the call runs
    while not os.path.exists(marker):
        assert time.monotonic() < deadline and caller.is_alive(), failure
        time.sleep(0.01)
    os.kill(victim, signal.SIGKILL)
    caller.join(20)
    assert not caller.is_alive()
    assert failure and isinstance(failure[0], RemoteError), failure
    assert "killed by signal 9 (SIGKILL)" in str(failure[0]) and str(victim) in str(failure[0])
    with pytest.raises(RemoteError, match="objects it held are lost"):
        sleeper.square(3)                           # the old host's object is gone, cleanly
    assert p.apply(square, (3,)) == 9              # the Pool is the server's own: the host's death spares it
    after_kill = done[0]                             # the other clients go on after the kill: 20 more rounds
    deadline = time.monotonic() + 60
    while done[0] < min(after_kill + 20, 400) and worker.is_alive():
        assert time.monotonic() < deadline, f"native traffic stalled at {done[0]} rounds after the kill ({after_kill} before)"
        time.sleep(0.01)
    stop.set()
    worker.join(20)
    count = errors[-1][1]
    assert errors[:-1] == [] and count > 0
    assert d.copy() == {i: i for i in range(count)}
    assert other_dict == {i: -i for i in range(count)}
    assert [q.get(timeout=5) for _ in range(count)] == list(range(count))
    successor = m.Sleeper()
    assert successor.square(5) == 25               # a new host serves new objects
    assert successor.pid() != victim
    deadline = time.monotonic() + 10                 # and the server's log names both (written asynchronously)
    while not {victim, successor.pid()} <= set(host_pids(server)):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    assert server.alive()
