"""The shim's proxies over the lean client path (multiprocess_dotnet/_proxy.py, over _connection.py's connection):
the stock proxy classes' behaviour, the stock bytes on the wire, a connection that reads header and body with one
read(2) and keeps what it read past a message, and the pickling rules (a child this process starts rebuilds the
lean proxy; any other receiver gets the stock pickle). `mp` is the library under test (conftest)."""
import os
import pickle
import socket
import subprocess
import sys
import threading

import pytest

import shim_targets
from conftest import CHILD_START_METHOD, DILL, LIBRARY, mp
from multiprocess_dotnet import _connection


@pytest.fixture
def manager(shim):
    with shim.Manager() as m:
        yield m


@pytest.fixture
def pair():
    """(lean, stock): the two ends of a socketpair, our LeanConnection and the library's stock Connection."""
    a, b = socket.socketpair()
    lean = _connection.connection_class(LIBRARY)(a.detach())
    stock = mp.connection.Connection(b.detach())
    yield lean, stock
    lean.close()
    stock.close()


def _socket_is_empty(conn):
    with socket.socket(fileno=os.dup(conn.fileno())) as s:    # (the dup shares the file's flags: no setblocking)
        try:
            return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return True


def test_shim_proxies_are_the_stock_classes_over_the_lean_connection(shim, manager):
    d, q = manager.dict(), manager.Queue()
    assert type(d).__name__ == "DictProxy" and type(d).__mro__[1] is mp.managers.DictProxy
    assert isinstance(d, mp.managers.DictProxy) and isinstance(q, mp.managers.BaseProxy)
    assert repr(d).startswith("<DictProxy object, typeid 'dict' at 0x")
    assert repr(q).startswith("<AutoProxy[Queue] object, typeid 'Queue' at 0x")
    d["k"] = 1
    q.put(2)
    assert (d["k"], q.get()) == (1, 2)
    assert type(d._tls.connection).__name__ == "LeanConnection"
    assert isinstance(d._tls.connection, mp.connection.Connection)
    assert d._tls.connection is q._tls.connection            # one connection per manager and thread, as stock
    # The library's own SyncManager keeps its stock registry (looked up through our class's base: install(), which
    # test_cpython_manager_suite runs at import, rebinds the module's name to ours).
    stock_manager = shim.SyncManager.__bases__[-1]
    assert stock_manager.__module__ == LIBRARY + ".managers" and stock_manager.__name__ == "SyncManager"
    assert stock_manager._registry["dict"][-1] is mp.managers.DictProxy
    assert stock_manager._registry["Queue"][-1] is mp.managers.AutoProxy


def test_errors_and_proxy_results_as_stock(manager):
    d, lst = manager.dict(), manager.list([1, 2])
    with pytest.raises(KeyError, match="missing"):
        d["missing"]
    with pytest.raises(ValueError):
        lst.index(99)
    with pytest.raises(mp.managers.RemoteError, match="no_such_method"):     # '#TRACEBACK', as from CPython's server
        d._callmethod("no_such_method")
    d["after"] = "errors"                                     # the connection is still in step
    assert d["after"] == "errors"
    pool = manager.Pool(1)                                    # apply_async's reply is '#PROXY' (an AsyncResult)
    try:
        result = pool.apply_async(pow, (2, 5))
        assert result.get(timeout=60) == 32
        assert "_dotnet_stock_type" in type(result).__dict__
    finally:
        pool.terminate()


def test_proxy_argument_and_pickles(manager):
    d, lst = manager.dict(), manager.list([1, 2])
    d["list"] = lst                                           # a proxy as an argument: the stock pickle
    back = d["list"]
    assert back[:] == [1, 2] and type(back) is mp.managers.ListProxy
    data = pickle.dumps(lst)
    assert b"multiprocess_dotnet" not in data                 # any receiver can load it
    spawning = mp.context.set_spawning_popen
    spawning(object())
    try:
        child_data = pickle.dumps(lst)
    finally:
        spawning(None)
    assert b"multiprocess_dotnet._proxy" in child_data        # a child this process starts: the lean proxy
    lean = pickle.loads(child_data)
    assert "_dotnet_stock_type" in type(lean).__dict__ and lean[:] == [1, 2]


_STOCK_RECEIVER = r"""
import pickle, sys
try:
    import multiprocess_dotnet
    sys.exit("multiprocess_dotnet is importable here: this is not a stock receiver")
except ImportError:
    pass
import %(library)s as mp
import %(library)s.managers
mp.current_process().authkey = bytes.fromhex(sys.argv[2])
try:
    d = pickle.loads(bytes.fromhex(sys.argv[1]))
except ImportError as e:
    print("ImportError: %%s" %% e)
    sys.exit(0)
d["stock"] = type(d).__module__
print("ok")
"""


def _receiver_path(tmp_path, pythonpath):
    """PYTHONPATH for a receiver without this package: the test's own entries minus every folder that holds it (the
    venv's site-packages, the source tree), plus, for the dill flavour, a folder of links to `multiprocess`,
    `_multiprocess` and `dill` alone (they may sit in a site folder beside the shim, or in one -S does not add)."""
    kept = [p for p in pythonpath.split(os.pathsep)
            if p and "site-packages" not in p and not os.path.isdir(os.path.join(p, "multiprocess_dotnet"))]
    if DILL:
        import importlib.util
        links = tmp_path / "receiver-path"
        links.mkdir()
        for name in ("multiprocess", "_multiprocess", "dill"):
            spec = importlib.util.find_spec(name)
            origin = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
            os.symlink(origin, links / os.path.basename(origin))
        kept.insert(0, str(links))
    return os.pathsep.join(kept)


@pytest.mark.parametrize("spawning", [False, True], ids=["stock-pickle", "child-pickle"])
def test_stock_receiver(manager, spawning, child_env, tmp_path):
    """A process without this package (-S: no site-packages, where the shim is installed) loads the stock pickle
    and uses the proxy; a pickle made for a child of ours fails there with an ImportError naming the package."""
    d = manager.dict()
    if spawning:
        mp.context.set_spawning_popen(object())
    try:
        data = pickle.dumps(d)
    finally:
        mp.context.set_spawning_popen(None)
    env = dict(child_env, PYTHONPATH=_receiver_path(tmp_path, child_env["PYTHONPATH"]))
    out = subprocess.run([sys.executable, "-S", "-c", _STOCK_RECEIVER % {"library": LIBRARY}, data.hex(),
                          bytes(manager._authkey).hex()], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    if spawning:
        assert out.stdout.strip() == "ImportError: No module named 'multiprocess_dotnet'"
    else:
        assert out.stdout.strip() == "ok"
        assert d["stock"] == LIBRARY + ".managers"


def test_spawned_child_runs_lean_proxies_without_the_engine(manager):
    d = manager.dict()
    p = mp.get_context(CHILD_START_METHOD).Process(target=shim_targets.report_proxy_path, args=(d, "child"))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    lean, connection, engine = d["child"]
    assert (lean, connection, engine) == (True, "LeanConnection", False)


def test_forked_child_makes_its_own_connection(shim, manager):
    if shim.server_mode(manager._ctx) == "inprocess":
        pytest.skip("a process with the engine loaded must not fork (_forksafety): this test runs in server mode "
                    "'process'")
    d = manager.dict()
    d["parent"] = 1
    parent_connection = d._tls.connection
    p = mp.get_context("fork").Process(target=shim_targets.use_after_fork, args=(d, "child"))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    had, kind = d["child-state"]
    assert (had, kind) == (False, "LeanConnection")         # the parent's connection was not inherited
    assert d["child"] == p.pid and d["parent"] == 1
    assert d._tls.connection is parent_connection


def test_send_writes_the_stock_bytes(pair):
    lean, stock = pair
    objects = [("id", "__setitem__", ("k", 1), {}), "x" * 100000, {"a": [1, 2.5, None, (b"b",)]}, list(range(300))]
    for obj in objects:
        lean.send(obj)
        raw = stock.recv_bytes()
        assert raw == bytes(mp.reduction.ForkingPickler.dumps(obj))


def test_a_failed_pickle_sends_nothing(pair):
    lean, stock = pair
    # Past one 64 KiB frame, then a generator, which neither pickle nor dill takes (twice that fits the socket's
    # buffer, so that a stale frame sent with the next message shows as a wrong message, not a blocked send).
    big_then_bad = ["x" * 70000, (x for x in ())]
    with pytest.raises(Exception):
        lean.send(big_then_bad)                               # a 64 KiB frame was written before the failure
    with pytest.raises(Exception):
        lean._call(("id", "m", (big_then_bad,), {}))
    assert _socket_is_empty(stock)
    lean.send("after")
    assert stock.poll(10) and stock.recv_bytes() == bytes(mp.reduction.ForkingPickler.dumps("after"))


def test_a_connection_argument_goes_through_the_forking_pickler_reducer(pair):
    """A Connection as an argument: ForkingPickler's reducer (the descriptor duplicated through the resource
    sharer) must apply with the reused pickler, as with a new one."""
    lean, stock = pair
    a, b = mp.Pipe()
    lean.send(("id", "put", (a,), {}))
    request = stock.recv()
    received = request[2][0]
    assert type(received) is type(a) and received.fileno() != a.fileno()
    received.send("through the duplicate")
    assert b.poll(10) and b.recv() == "through the duplicate"
    for conn in (a, b, received):
        conn.close()


def _plain_corpus():
    shared = "same"
    return [("7f00", "__setitem__", ("k", 1), {}), ("7f00", "get", (), {"block": True, "timeout": None}),
            ("#RETURN", None), ("#RETURN", [1, 2.5, -3, 2 ** 70, b"x", "\u00e9", True, (1, (2, [3, {4: "5"}]))]),
            ("#ERROR", ("k",)), "s" * 7000, [("x",) * 3] * 5, {"a": {"b": ["c"]}}, (), [], {},
            [shared, shared, (shared, shared)], {i: "v" for i in range(240)}, list(range(490))]


def test_plain_values_pickle_as_dill_does():
    """The dill flavour's fast path (_plain.py): C's pickle writes what dill writes for plain values, and anything
    else (a function, a set, a module-like dict, a cycle, a large value) is left to dill."""
    if not DILL:
        pytest.skip("the plain-value path serves only multiprocess's (dill) managers, tested in shimmp312 and shimmp314: "
                    "multiprocessing pickles with C already")
    from multiprocess_dotnet import _plain as plain
    dill_dumps = mp.reduction.ForkingPickler.dumps
    for obj in _plain_corpus():
        assert plain.is_plain(obj), obj
        data = plain.dumps_or(obj, None)
        assert data == bytes(dill_dumps(obj))
        assert plain.loads_or(data, None) == obj
    cycle = []
    cycle.append(cycle)
    for obj in [lambda: 1, {1, 2}, {"__name__": "m"}, cycle, {i: "v" for i in range(1000)}, [_Registered(1)], int]:
        assert not plain.is_plain(obj)
        assert plain.dumps_or(obj, lambda o: "dill") == "dill"
    assert plain.dumps_or("s" * 70000, lambda o: "dill") == "dill"                  # past a frame: dill's
    f = mp.reduction.ForkingPickler.dumps(lambda x: x + 41)
    assert plain.loads_or(f, mp.reduction.ForkingPickler.loads)(1) == 42        # names a global: dill loads it


def test_values_with_globals_round_trip_through_a_proxy(manager):
    """Through the lean path either way: plain values, and values that need the library's own pickler."""
    d = manager.dict()
    for i, obj in enumerate(_plain_corpus()):
        d[i] = obj
        assert d[i] == obj
    d["error"] = ValueError("x")
    assert type(d["error"]) is ValueError and d["error"].args == ("x",)
    if DILL:
        d["f"] = lambda x: x + 1                              # dill pickles it by value
        assert d["f"](1) == 2


class _Registered:
    def __init__(self, value):
        self.value = value


def test_reducers_registered_after_the_first_send_are_used(pair):
    lean, stock = pair
    lean.send("first")                                        # the connection's pickler exists now
    assert stock.recv() == "first"
    mp.reduction.ForkingPickler.register(_Registered, lambda r: (str, ("reduced %d" % r.value,)))
    try:
        lean.send(_Registered(7))
        assert stock.recv() == "reduced 7"
    finally:
        del mp.reduction.ForkingPickler._extra_reducers[_Registered]


def test_bytes_read_past_a_message_are_seen_by_poll_and_recv(pair):
    lean, stock = pair
    stock.send("one")
    stock.send_bytes(b"raw")
    stock.send(["three"])
    assert lean.poll(5)
    assert lean.recv() == "one"                               # one read(2) took all three messages
    assert _socket_is_empty(lean)
    assert lean.poll(0)                                       # poll sees the buffered bytes
    assert lean.recv_bytes() == b"raw"
    assert lean.poll(0)
    assert lean.recv() == ["three"]
    assert not lean.poll(0)
    stock.send_bytes(b"0123456789")
    buf = bytearray(16)
    assert lean.recv_bytes_into(buf, 2) == 10 and bytes(buf[2:12]) == b"0123456789"


def test_messages_split_across_reads_and_larger_than_the_buffer(pair):
    lean, stock = pair
    big = b"z" * (3 * 65536 + 5)
    data = bytes(mp.reduction.ForkingPickler.dumps(("small", 1)))
    frames = len(data).to_bytes(4, "big") + data + len(big).to_bytes(4, "big") + big

    def trickle():                                            # one byte, then the rest in uneven pieces
        fd = stock.fileno()
        os.write(fd, frames[:1])
        for i in range(1, len(frames), 40000):
            os.write(fd, frames[i:i + 40000])
    t = threading.Thread(target=trickle)
    t.start()
    assert lean.recv() == ("small", 1)
    assert lean.recv_bytes() == big
    t.join()
    stock.send("after")
    assert lean.recv() == "after"


def test_end_of_file(pair):
    lean, stock = pair
    os.write(stock.fileno(), b"\0\0\0\x10abc")                # a header promising 16 bytes, then 3
    stock.close()
    with pytest.raises(OSError, match="end of file during message"):
        lean.recv()
    a, b = socket.socketpair()
    conn = _connection.connection_class(LIBRARY)(a.detach())
    b.close()
    with pytest.raises(EOFError):
        conn.recv()
    conn.close()


def test_a_recv_inside_loads_gets_its_own_buffer(pair):
    """An object whose unpickling calls recv on the same connection (as a __setstate__ calling a proxy of this
    thread would) must not overwrite the bytes its own loads is reading."""
    lean, stock = pair
    stock.send((_Nested(), "after" * 100))                    # "after" is read once the nested recv is done
    nested, after = lean.recv()
    assert nested.inner == "inner" * 400 and nested.tail == "tail" * 100 and after == "after" * 100
    stock.send("next")
    assert lean.recv() == "next"


class _Nested:
    current = peer = None

    def __init__(self):
        self.tail = "tail" * 100

    def __reduce__(self):
        return (_rebuild_nested, (self.tail,))


def _rebuild_nested(tail):
    n = _Nested.__new__(_Nested)
    conn = _Nested.current
    conn_peer = _Nested.peer
    conn_peer.send("inner" * 400)                             # longer than the outer message: would overwrite it
    n.inner = conn.recv()
    n.tail = tail
    return n


@pytest.fixture(autouse=True)
def _nested_connection(request):
    if "pair" in request.fixturenames:
        lean, stock = request.getfixturevalue("pair")
        _Nested.current, _Nested.peer = lean, stock
    yield
    _Nested.current = _Nested.peer = None
