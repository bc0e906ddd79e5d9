"""Pickles from this CPython through the engine's codec (`multiprocess pickle recode/show`) and back.

Python → C# → Python: the value Python loads from the engine's output equals the original (compared through the C
pickler's bytes, which also covers recursion, shared references and NaN); for builtin values the engine's bytes
are the C pickler's own. `show` prints CPython's repr. Errors name the opcode and offset.
"""
import collections
import datetime
import decimal
import fractions
import functools
import pickle
import queue
import sys
import uuid

import pytest

from conftest import run_cli, version_independent


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Slots:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __getstate__(self):
        return (self.a, self.b)

    def __setstate__(self, state):
        self.a, self.b = state


class Tagged(list):
    pass


def _recursive_list():
    x = []
    x.append(x)
    return x


def _recursive_dict():
    d = {}
    d["me"] = d
    return d


def _shared():
    s = [1, 2]
    return [s, s, (s,)]


def _nested(depth):
    v = []
    for _ in range(depth):
        v = [v]
    return v


def _tagged():
    t = Tagged([1, 2, 3])
    t.tag = "x"
    return t


def builtin_corpus():
    """Values whose pickles the engine must reproduce byte for byte."""
    return {
        "none": None, "bools": [True, False], "small_ints": list(range(-300, 300, 7)),
        "ints": [2**31, -2**31 - 1, 2**63, -2**63, 2**64, 2**1000, -2**1000, 10**300],
        "floats": [0.0, -0.0, 0.1, 1e16, 1e-5, 1e308, 5e-324, float("inf"), float("-inf"), float("nan")],
        "complex": [1 + 2j, -0.0j, complex(float("inf"), 1)],
        "strs": ["", "abc", "é", "日本", "😀𝄞", "a\ud800b", "\udfff", "it's", "x" * 300, "ü" * 70000],
        "bytes": [b"", b"\x00\xff", bytes(range(256)), b"z" * 70000],
        "bytearray": bytearray(b"abc"),
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)],
        "lists": [[], [1], list(range(1001)), list(range(2000))],
        "dicts": [{}, {"a": 1}, {i: str(i) for i in range(1000)}, {None: 1, (1, 2): 2, b"k": 3, frozenset({1}): 4, 2.5: 5}],
        "sets": [set(), {1, 2, 3}, frozenset(), frozenset({"a", "b"}), set(range(1500))],
        "shared": _shared(), "recursive_list": _recursive_list(), "recursive_dict": _recursive_dict(),
        "nested": _nested(300),
        "datetimes": [datetime.datetime(2020, 1, 2, 3, 4, 5, 6), datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc),
                      datetime.datetime(2021, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))),
                      datetime.date(2024, 2, 29), datetime.time(1, 2, 3, 4), datetime.timedelta(days=-1, microseconds=5)],
        "decimals": [decimal.Decimal("1.10"), decimal.Decimal("-0"), decimal.Decimal("1E+1000"), decimal.Decimal("NaN")],
        # (a key spelled like a module CPython later names, e.g. "uuid", would be an interned str the C pickler
        # shares with the module name; the codec only shares it when it comes from the pickle itself)
        "uuid_value": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "singletons": [Ellipsis, NotImplemented],
        "exceptions": [KeyError("x"), ValueError("a", 1), StopIteration(), queue.Empty()],
        "manager_request": (None, "create", ("dict",), {}),
    }


def object_corpus():
    """Values the engine keeps as reduce values (user classes, stdlib objects)."""
    return {
        "point": Point(1, [2]),
        "slots": Slots(1, "b"),
        "tagged": _tagged(),
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "defaultdict": collections.defaultdict(list, {"a": [1]}),
        "deque": collections.deque([1, 2, 3], maxlen=5),
        "partial": functools.partial(int, base=16),
        "fraction": fractions.Fraction(3, 7),
        "range": range(0, 100, 3),
        "classes": [int, Point, collections.OrderedDict, len],
        "fold": datetime.datetime(2021, 11, 7, 1, 30, fold=1),
        "named_tz": datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1), "CET")),
        "odd_offset": datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(seconds=30))),
    }


def same(a, b):
    # A set's pickle lists its items in iteration order, which depends on str hashes (PYTHONHASHSEED) and on the
    # order the set was built in: sets compare as sets, everything else by its pickle.
    if isinstance(a, (set, frozenset)):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list) and any(isinstance(x, (set, frozenset)) for x in a):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return pickle.dumps(a, 4) == pickle.dumps(b, 4)


def recode(data, protocol=4):
    return run_cli("pickle", "recode", "--protocol", str(protocol), input=data).stdout


@pytest.mark.parametrize("in_proto", [0, 2, 4, 5])
@pytest.mark.parametrize("out_proto", [4, 5])
def test_recode_builtins_equal(cli, in_proto, out_proto):
    corpus = builtin_corpus()
    back = pickle.loads(recode(pickle.dumps(corpus, in_proto), out_proto))
    bad = [k for k in corpus if not same(corpus[k], back[k])]
    assert not bad, "differ after the round trip: %s" % bad


@pytest.mark.parametrize("proto", [4, 5])
def test_recode_builtins_byte_identical(cli, proto):
    data = pickle.dumps(builtin_corpus(), proto)
    out = recode(data, proto)
    assert out == data, "first difference at offset %d" % next(i for i, (x, y) in enumerate(zip(out + b"\0", data)) if x != y)


@pytest.mark.parametrize("in_proto", [0, 1, 2, 3, 4, 5])
def test_recode_objects_equal(cli, in_proto):
    corpus = object_corpus()
    back = pickle.loads(recode(pickle.dumps(corpus, in_proto)))
    for k in corpus:
        assert type(back[k]) is type(corpus[k]), k
    assert vars(back["point"]) == vars(corpus["point"])
    assert (back["slots"].a, back["slots"].b) == (1, "b")
    assert list(back["tagged"]) == [1, 2, 3] and back["tagged"].tag == "x"
    for k in ("ordered", "defaultdict", "fraction", "range", "classes", "fold", "named_tz", "odd_offset"):
        assert back[k] == corpus[k], k
    assert back["named_tz"].tzname() == "CET"
    assert back["fold"].fold == (1 if in_proto >= 4 else 0)   # CPython itself pickles fold only at protocol 4+
    assert back["deque"] == corpus["deque"] and back["deque"].maxlen == 5
    assert back["partial"]("ff") == 255


@version_independent
def test_recode_100_mib_bytes(cli):
    payload = bytes(range(256)) * (100 * 1024 * 1024 // 256)
    data = pickle.dumps(payload, 4)
    out = recode(data)
    assert out == data


def test_recode_deep_nesting(cli):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10000)
    try:
        value = _nested(450)
        back = pickle.loads(recode(pickle.dumps(value, 4)))
        assert same(back, value)
    finally:
        sys.setrecursionlimit(limit)


def test_recode_out_of_band_buffer_in_band(cli):
    buf = pickle.PickleBuffer(bytearray(b"oob data"))
    data = pickle.dumps([buf], 5)       # no buffer_callback: written in band (BYTEARRAY8)
    assert pickle.loads(recode(data, 5)) == [bytearray(b"oob data")]


def test_show_prints_cpython_repr(cli):
    corpus = builtin_corpus()
    del corpus["strs"][-1], corpus["bytes"][-1]   # keep the output short
    out = run_cli("pickle", "show", input=pickle.dumps(corpus, 4)).stdout.decode("utf-8")
    assert out == repr(corpus) + "\n"


def test_show_dis_matches_pickletools(cli):
    import io
    import pickletools
    data = pickle.dumps(builtin_corpus()["dicts"], 4)
    buf = io.StringIO()
    pickletools.dis(data, out=buf)
    assert run_cli("pickle", "show", "--dis", input=data).stdout.decode() == buf.getvalue()


@pytest.mark.parametrize("data, opcode, offset", [
    (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00", "FRAME", 2),    # truncated frame
    (b"\x80\x04K", "BININT1", 2),                                     # truncated argument
    (b"\x80\x04\xff", "0xFF", 2),                                      # not an opcode
    (b"\x80\x04h\x05.", "BINGET", 2),                                  # memo key never stored
    (b"\x80\x05\x97.", "NEXT_BUFFER", 2),                              # out-of-band data, no buffers
])
def test_recode_bad_pickle_fails_with_opcode_and_offset(cli, data, opcode, offset):
    proc = run_cli("pickle", "recode", input=data, check=False)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert opcode in err and ("offset %d" % offset) in err, err
    assert proc.stdout == b""


def test_recode_dill_functions(cli, peer_lib, mp):
    if peer_lib != "multiprocess":
        pytest.skip("dill-pickled functions come with the multiprocess peer (dill); this env runs stdlib multiprocessing")
    import dill
    factor = 3
    square_plus = lambda x: x * x + factor  # noqa: E731 - a lambda is what dill must pickle by value
    Dyn = type("Dyn", (), {"value": 7, "twice": lambda self: self.value * 2})

    def closure(n):
        def inner(y):
            return n + y
        return inner

    payload = {"lambda": square_plus, "closure": closure(10), "class": Dyn, "instance": Dyn()}
    for proto in (None, 2, 4):
        data = dill.dumps(payload, protocol=proto)
        back = dill.loads(recode(data))
        assert back["lambda"](4) == 19
        assert back["closure"](5) == 15
        assert back["class"]().twice() == 14 and back["instance"].twice() == 14
    forking = mp.reduction.ForkingPickler.dumps((square_plus, (2,), {}))
    f, args, kwargs = dill.loads(recode(bytes(forking)))
    assert f(*args, **kwargs) == 7
