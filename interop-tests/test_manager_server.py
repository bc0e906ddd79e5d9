"""Stock Python manager clients (this interpreter's multiprocessing, or multiprocess) against the C# SyncManager
server (`multiprocess serve`): dict, list, Value, Array and Namespace methods, values kept losslessly, errors raised
as the same Python exceptions, reference counts as CPython keeps them, every address family. Queues:
test_manager_server_queues.py; Lock, RLock, Semaphore, Event, Condition, Barrier: test_manager_server_synchronize.py."""
import array
import datetime
import decimal
import fractions
import gc
import uuid
from collections import OrderedDict, namedtuple

import pytest

from manager_server_helpers import watchdog, ServerProcess, dispatch, m, server  # noqa: F401 (m, server: module fixtures)



class Point:
    """A class only the clients know: the server keeps its instances as data."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


Pair = namedtuple("Pair", "a b")


def remote_error(mp):
    return __import__(mp.__name__ + ".managers").managers.RemoteError


# ---------------------------------------------------------------- dict


def test_dict_item_methods(m):
    d = m.dict({"a": 1}, b=2)
    d["c"] = 3
    assert d["a"] == 1 and d["b"] == 2 and len(d) == 3
    assert "c" in d and "z" not in d
    del d["c"]
    assert d.get("c") is None and d.get("c", 7) == 7
    assert d.setdefault("e", 5) == 5 and d.setdefault("e", 6) == 5
    assert d.pop("e") == 5 and d.pop("e", "gone") == "gone"
    d.update({"f": 6}, g=7)
    d.update([("h", 8)])
    assert d.keys() == ["a", "b", "f", "g", "h"]
    assert d.values() == [1, 2, 6, 7, 8]
    assert d.items() == [("a", 1), ("b", 2), ("f", 6), ("g", 7), ("h", 8)]
    assert d.popitem() == ("h", 8)
    assert d.copy() == {"a": 1, "b": 2, "f": 6, "g": 7}
    assert d._getvalue() == {"a": 1, "b": 2, "f": 6, "g": 7}
    assert [k for k in d] == ["a", "b", "f", "g"]
    assert str(d) == repr({"a": 1, "b": 2, "f": 6, "g": 7})
    d.clear()
    assert len(d) == 0 and d.copy() == {}


def test_dict_errors_are_the_python_exceptions(m, mp):
    d = m.dict()
    with pytest.raises(KeyError) as e:
        d["missing"]
    assert e.value.args == ("missing",)
    with pytest.raises(KeyError):
        del d["missing"]
    with pytest.raises(KeyError, match="popitem"):
        d.popitem()
    with pytest.raises(KeyError):
        d.pop(42)
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        d[[1, 2]] = 1
    with pytest.raises(TypeError, match="unhashable"):
        d[(1, [2])] = 1
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        d.update([(1, 2, 3)])


def test_dict_keys_follow_python_equality(m):
    d = m.dict()
    d[1] = "int"
    d[1.0] = "float"
    d[True] = "bool"
    assert d.copy() == {1: "bool"} and type(d.keys()[0]) is int
    d["x"] = "str"
    d[b"x"] = "bytes"
    d[(1, "a")] = "tuple"
    d[frozenset({1, 2})] = "frozenset"
    d[None] = "none"
    d[2 ** 80] = "big"
    d[-0.0] = "zero"
    assert d[0] == "zero" and d[(1.0, "a")] == "tuple" and d[frozenset({2, 1})] == "frozenset"
    assert d["x"] == "str" and d[b"x"] == "bytes" and d[None] == "none" and d[2 ** 80] == "big"
    assert len(d) == 8


def test_dict_key_of_user_class_is_a_clear_error(m):
    d = m.dict()
    with pytest.raises(TypeError, match="cannot hash a 'Point' object"):
        d[Point(1, 2)] = 1
    with pytest.raises(TypeError, match="cannot hash"):
        d[("k", Point(1, 2))] = 1


def test_dict_iteration_is_an_iterator_proxy(m, mp):
    d = m.dict(a=1, b=2)
    it = iter(d)
    assert type(it).__name__ == "IteratorProxy"
    assert next(it) == "a"
    d["a"] = 10                      # values may change while iterating
    assert next(it) == "b"
    with pytest.raises(StopIteration):
        next(it)
    it = iter(d)
    next(it)
    d["c"] = 3
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        next(it)
    with pytest.raises(remote_error(mp), match="has no attribute 'send'"):
        iter(d).send(None)


def test_dict_has_key_is_exposed_but_missing_as_in_python3(m, mp):
    # multiprocess's DictProxy exposes has_key; a Python 3 dict has none: CPython's server answers with a traceback.
    d = m.dict(a=1)
    with pytest.raises(remote_error(mp), match="has no attribute 'has_key'"):
        d._callmethod("has_key", ("a",))


# ---------------------------------------------------------------- list


def test_list_methods(m):
    lst = m.list([3, 1, 2])
    lst.append(4)
    lst.extend([5, 6])
    lst.insert(0, 0)
    assert lst[:] == [0, 3, 1, 2, 4, 5, 6] and len(lst) == 7
    assert lst.pop() == 6 and lst.pop(0) == 0
    lst.remove(4)
    assert lst.index(2) == 2 and lst.count(1) == 1 and 5 in lst
    lst.sort()
    assert lst[:] == [1, 2, 3, 5]
    lst.sort(reverse=True)
    assert lst[:] == [5, 3, 2, 1]
    lst.reverse()
    assert lst._getvalue() == [1, 2, 3, 5]
    assert list(reversed(lst)) == [5, 3, 2, 1]
    assert lst + [9] == [1, 2, 3, 5, 9]
    assert lst * 2 == [1, 2, 3, 5] * 2 and 2 * lst == [1, 2, 3, 5] * 2
    lst += [7]
    lst *= 2
    assert lst[:] == [1, 2, 3, 5, 7] * 2
    assert list(lst) == [1, 2, 3, 5, 7] * 2   # __iter__ falls back to __getitem__ until IndexError
    assert str(lst) == repr([1, 2, 3, 5, 7] * 2)


def test_list_slices(m):
    lst = m.list(range(10))
    assert lst[2:5] == [2, 3, 4] and lst[::3] == [0, 3, 6, 9] and lst[::-1] == list(range(9, -1, -1))
    assert lst[-2] == 8
    lst[1:3] = ["a", "b", "c"]
    assert lst[:4] == [0, "a", "b", "c"]
    lst[::2] = [None] * 6
    del lst[1::2]
    assert lst[:] == [None] * 6
    with pytest.raises(ValueError, match="sequence of size 1 to extended slice of size 3"):
        lst[::2] = [1]
    del lst[:]
    assert len(lst) == 0


def test_list_errors(m):
    lst = m.list([1])
    with pytest.raises(IndexError, match="list index out of range"):
        lst[5]
    with pytest.raises(IndexError, match="assignment index out of range"):
        lst[5] = 0
    with pytest.raises(IndexError, match="pop index out of range"):
        lst.pop(3)
    with pytest.raises(ValueError, match="not in list"):
        lst.remove(9)
    with pytest.raises(ValueError, match="'x' is not in list"):
        lst.index("x")
    with pytest.raises(TypeError, match="must be integers or slices, not str"):
        lst["a"]
    with pytest.raises(TypeError, match='can only concatenate list \\(not "tuple"\\)'):
        lst + (1,)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'str' and 'int'"):
        lst.append("s")
        lst.sort()
    assert lst[:] == [1, "s"]            # a failed sort leaves the list as it was
    with pytest.raises(IndexError, match="pop from empty list"):
        m.list().pop()


def test_list_sort_orders_like_python(m):
    values = [3, 2.5, True, -1, 10 ** 20, 0.0, False]
    lst = m.list(values)
    lst.sort()
    assert lst[:] == sorted(values)
    words = ["b", "a", "\U0001F600", "\uffff", "A", ""]
    lst = m.list(words)
    lst.sort()
    assert lst[:] == sorted(words)       # code point order, not UTF-16 order
    tuples = [(1, "b"), (1, "a"), (0, "z"), (1,)]
    lst = m.list(tuples)
    lst.sort(reverse=True)
    assert lst[:] == sorted(tuples, reverse=True)


# ---------------------------------------------------------------- values


def test_values_round_trip_losslessly(m, peer_lib):
    values = [
        None, True, 0, -1, 2 ** 100, -(2 ** 70), 1.5, float("inf"), -0.0, 1 + 2j, "text \u00e9\U0001F600", b"\x00\xff",
        bytearray(b"ba"), (1, (2, 3)), [1, [2, {"k": {3}}]], {1, 2}, frozenset({"f"}), {"nested": {"x": [1]}},
        datetime.datetime(2024, 2, 29, 12, 30, 1, 123456), datetime.date(1999, 12, 31), datetime.timedelta(days=-1, seconds=5),
        datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), decimal.Decimal("1.10"), decimal.Decimal("NaN"),
        uuid.UUID(int=12345), fractions.Fraction(3, 4), OrderedDict(a=1, b=2), Point(1, [2]), Pair(1, "b"),
        ValueError("bad", 2), range(1, 9, 2), array.array("i", [1, 2]), slice(1, None, 2), Ellipsis,
    ]
    if peer_lib == "multiprocess":
        values.append(lambda x: x + 1)   # dill pickles functions by value; the server keeps the bytes' meaning
    lst = m.list()
    for v in values:
        lst.append(v)
    back = lst[:]
    for original, returned in zip(values, back):
        if callable(original) and not isinstance(original, type):
            assert returned(1) == 2
        elif isinstance(original, Exception):
            assert type(returned) is type(original) and returned.args == original.args
        elif isinstance(original, decimal.Decimal) and original.is_nan():
            assert type(returned) is decimal.Decimal and returned.is_nan()
        else:
            assert returned == original and type(returned) is type(original), (original, returned)
    assert repr(back[-2 if peer_lib == "multiprocess" else -1]) == "Ellipsis"


def test_value(m):
    v = m.Value("i", 5)
    assert v.value == 5 and v.get() == 5
    v.value = "anything"                  # server-side Value ignores the typecode, as CPython's
    v.set([1])
    assert v.value == [1]
    assert str(v) == "Value('i', [1])"
    got = v._getvalue()
    assert type(got).__name__ == "Value" and got.value == [1]


def test_array(m, mp):
    a = m.Array("i", [1, 2, 3])
    assert len(a) == 3 and a[1] == 2 and a[-1] == 3
    a[0] = 10
    assert a[:] == array.array("i", [10, 2, 3])
    a[0:2] = array.array("i", [7])
    assert a._getvalue() == array.array("i", [7, 3])
    with pytest.raises(OverflowError, match="signed integer is greater than maximum"):
        a[0] = 2 ** 40
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        a[0] = 1.5
    with pytest.raises(IndexError, match="array index out of range"):
        a[10]
    with pytest.raises(TypeError, match="can only assign array"):
        a[0:1] = [1]
    f = m.Array("f", [0.1])
    assert f[0] == array.array("f", [0.1])[0]   # rounded to float32 as CPython's
    assert str(m.Array("d", [1, 2.5])) == "array('d', [1.0, 2.5])"
    with pytest.raises(remote_error(mp), match="bad typecode"):
        m.Array("z", [1])


def test_namespace(m, mp):
    ns = m.Namespace(a=1)
    ns.b = [2]
    ns._private = "local"                # underscore names live on the proxy
    assert ns.a == 1 and ns.b == [2] and ns._private == "local"
    del ns.a
    with pytest.raises(AttributeError):
        ns.a
    assert not hasattr(ns, "a") and hasattr(ns, "b")
    ns._callmethod("__setattr__", ("_hidden", 1))
    assert str(ns) == "Namespace(b=[2])"
    got = ns._getvalue()
    assert type(got).__name__ == "Namespace" and got.b == [2]


# ---------------------------------------------------------------- protocol


def test_nested_proxies_and_reference_counts(m):
    gc.collect()
    base = m._number_of_objects()
    inner = m.dict(k="v")
    outer = m.list([inner])
    assert m._number_of_objects() == base + 2
    assert outer[0]["k"] == "v"                     # a proxy comes back and works
    outer[0]["k2"] = 2
    assert inner["k2"] == 2
    gc.collect()
    assert m._number_of_objects() == base + 2
    del inner
    gc.collect()
    # The dict lives on inside the server (held by the list), as CPython's id_to_local_proxy_obj keeps it.
    assert m._number_of_objects() == base + 1
    assert outer[0]["k"] == "v"
    del outer
    gc.collect()
    assert m._number_of_objects() == base


def test_debug_info_and_exposed(m, mp, server):
    d = m.dict(a=1)
    info = m._debug_info()
    assert f"  {d._token.id}:       refcount=1\n    {{'a': 1}}" in info
    methods = dispatch(mp, server.address, server.authkey, "get_methods", (d._token,))
    assert "__iter__" in methods and "update" in methods
    ident, exposed = dispatch(mp, server.address, server.authkey, "create", ("dict",))
    assert exposed.count("__iter__") == 2 and "has_key" in exposed
    dispatch(mp, server.address, server.authkey, "decref", (ident,))
    with pytest.raises(remote_error(mp), match="KeyError"):
        dispatch(mp, server.address, server.authkey, "decref", (ident,))
    with pytest.raises(remote_error(mp), match="'nonsense' unrecognized"):
        dispatch(mp, server.address, server.authkey, "nonsense")
    with pytest.raises(remote_error(mp), match="KeyError: 'NoSuchType'"):
        dispatch(mp, server.address, server.authkey, "create", ("NoSuchType",))


def test_unexposed_method_and_unpicklable_value(m, mp):
    d = m.dict()
    with pytest.raises(remote_error(mp), match="is not in exposed"):
        d._callmethod("__class__")
    with pytest.raises(remote_error(mp), match="(?s)Unserializable message.*cannot pickle '_thread.lock'"):
        m.Queue()._getvalue()
    assert m.Event()._callmethod("__str__").startswith("<threading.Event at 0x")


def test_pool_runs_in_the_python_host(m, mp):
    with m.Pool(1) as pool:                     # more in test_manager_server_pyhost.py
        assert pool.map(abs, [-1, -2]) == [1, 2]


def test_every_address_family(peer_lib, mp):
    # Not IPv6: a stock Client maps every (host, port) tuple to AF_INET.
    for family in ["inet", "unix", "abstract"]:
        s = ServerProcess(family)
        try:
            mm = s.manager()
            d = mm.dict(family=family)
            q = mm.Queue()
            q.put(d)
            assert q.get()["family"] == family
        finally:
            s.stop()


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
