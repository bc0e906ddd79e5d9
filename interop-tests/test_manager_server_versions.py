"""The C# server answers each client with the manager protocol of the client's own CPython: 3.14 registers `set` and
exposes more names (locked, list clear/copy, dict | and reversed and fromkeys); a 3.8–3.13 client must see exactly the
type ids and names its version has. The server tells them apart by the pickle protocol of the request (3.14 sends
protocol 5; docs/versions.md)."""
import pickle
import sys

import pytest

from manager_server_helpers import dispatch, m, server  # noqa: F401 (m, server: module fixtures)

# What CPython 3.14 added to SyncManager's proxies (Lib/multiprocessing/managers.py, 3.13 -> 3.14).
NEW_IN_314 = {
    "Lock": {"locked"}, "RLock": {"locked"}, "Semaphore": {"locked"}, "BoundedSemaphore": {"locked"},
    "Condition": {"locked"}, "list": {"clear", "copy"}, "dict": {"__ior__", "__or__", "__reversed__", "__ror__", "fromkeys"},
}
IS_314 = pickle.DEFAULT_PROTOCOL >= 5


def registry(mp):
    return __import__(mp.__name__ + ".managers").managers.SyncManager._registry


@pytest.mark.parametrize("typeid", sorted(NEW_IN_314))
def test_exposed_names_are_those_of_the_client_version(server, mp, typeid):
    _, exposed, method_to_typeid, proxytype = registry(mp)[typeid]
    expected = set(exposed or proxytype._exposed_) | set(method_to_typeid or ())
    args = (typeid, 1) if "Semaphore" in typeid else (typeid,)
    ident, served = dispatch(mp, server.address, server.authkey, "create", args)
    try:
        assert expected <= set(served), (typeid, expected - set(served))
        new = NEW_IN_314[typeid]
        assert new & set(served) == new & expected, f"{typeid}: a {sys.version.split()[0]} client must see {new & expected or 'none'} of {new}"
    finally:
        dispatch(mp, server.address, server.authkey, "decref", (ident,))


def test_set_type_id_exists_for_3_14_clients_only(server, mp, m):
    if "set" in registry(mp):
        s = m.set("abc")
        s |= {"d"}
        assert set(s) == {"a", "b", "c", "d"} and s.intersection("ax") == {"a"}
        assert sorted(iter(s)) == ["a", "b", "c", "d"]
    else:
        with pytest.raises(__import__(mp.__name__ + ".managers").managers.RemoteError, match="KeyError: 'set'"):
            dispatch(mp, server.address, server.authkey, "create", ("set",))


@pytest.mark.skipif(not IS_314, reason="locked() is exposed from CPython 3.14 on (older proxies have no such method)")
def test_locked_on_3_14(m, mp):
    for lock in (m.Lock(), m.RLock(), m.Condition()):
        assert lock.locked() is False
        lock.acquire()
        assert lock.locked() is True
        lock.release()
    remote_error = __import__(mp.__name__ + ".managers").managers.RemoteError
    with pytest.raises(remote_error, match="'Semaphore' object has no attribute 'locked'"):
        m.Semaphore().locked()


@pytest.mark.skipif(not IS_314, reason="DictProxy's |, reversed() and fromkeys come with CPython 3.14")
def test_dict_operators_on_3_14(m):
    d = m.dict(a=1, b=2)
    assert d | {"b": 3} == {"a": 1, "b": 3}
    assert {"b": 3, "c": 4} | d == {"b": 2, "c": 4, "a": 1}
    d |= [("c", 5)]
    assert list(reversed(d)) == ["c", "b", "a"]
    assert d.fromkeys("xy", 0) == {"x": 0, "y": 0}
    lst = m.list([1, 2])
    assert lst.copy() == [1, 2]
    lst.clear()
    assert len(lst) == 0
