"""Generates the golden pickle vectors: every CPython 3.8–3.14 pickles the corpus below at protocols 0–5 (3.8–3.13 from
pyenv, 3.14 from the peer root through scripts/python3.14: docs/versions.md).

Run with any Python 3:   python3 interop-tests/vectors/gen_vectors.py
It re-runs itself under each interpreter (`--emit`, PYTHONHASHSEED=0 so set order is stable) and writes, per case,
a folder <case>/ with the distinct pickles (p<N>-<sha8>.pickle), their `pickletools.dis` text (.dis) and
expected.json: for every (version, protocol) the pickle file, a typed JSON description of the value the C# reader
must produce (with "id"/"ref" for shared and recursive objects), and CPython's repr.
"""
import base64
import collections
import copyreg
import datetime
import decimal
import fractions
import functools
import glob
import hashlib
import io
import json
import os
import pickle
import pickletools
import queue
import shutil
import struct
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
PEER_ROOT_VERSIONS = {"3.14": os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "python3.14")}


def corpus():
    sys.path.insert(0, HERE)
    import vector_classes as vc
    import multiprocessing.managers as mm

    cases = collections.OrderedDict()
    add = cases.__setitem__
    add("none", None)
    add("true", True)
    add("false", False)
    for name, v in [("int_0", 0), ("int_1", 1), ("int_m1", -1), ("int_255", 255), ("int_256", 256),
                    ("int_65535", 65535), ("int_65536", 65536), ("int_2p31m1", 2**31 - 1), ("int_m2p31", -2**31),
                    ("int_2p31", 2**31), ("int_m2p31m1", -2**31 - 1), ("int_2p63m1", 2**63 - 1), ("int_m2p63", -2**63),
                    ("int_2p63", 2**63), ("int_2p64", 2**64), ("int_m2p64m1", -2**64 - 1), ("int_2p1000", 2**1000),
                    ("int_m2p1000", -2**1000), ("int_2p2100", 2**2100 + 12345)]:
        add(name, v)
    for name, v in [("float_0", 0.0), ("float_m0", -0.0), ("float_1_5", 1.5), ("float_0_1", 0.1), ("float_1e16", 1e16),
                    ("float_1e15", 1e15), ("float_1em5", 1e-5), ("float_1em4", 1e-4), ("float_nan", float("nan")),
                    ("float_inf", float("inf")), ("float_minf", float("-inf")), ("float_max", 1.7976931348623157e308),
                    ("float_tiny", 5e-324), ("float_third", 1 / 3), ("float_big_int", 123456789012345678.0)]:
        add(name, v)
    add("complex", complex(1, 2))
    add("complex_imag", 1j)
    add("complex_negzero", complex(-0.0, -1.5))
    add("str_empty", "")
    add("str_ascii", "abc")
    add("str_latin1", "café")
    add("str_cjk", "日本語")
    add("str_emoji", "😀 x 𝄞")
    add("str_lone_surrogate", "a\ud800b\udfff")
    add("str_quotes", "it's")
    add("str_both_quotes", "it's \"x\"")
    add("str_controls", "\x00\n\t\r\x7f\x1b\\")
    add("str_unprintable", "\u200b\xa0\u2028\U000e0001")
    add("str_300", "x" * 300)
    add("bytes_empty", b"")
    add("bytes_abc", b"abc")
    add("bytes_all", bytes(range(256)))
    add("bytes_quote", b"it's")
    add("bytearray_empty", bytearray())
    add("bytearray_ab", bytearray(b"a'b\x00"))
    add("tuple_empty", ())
    add("tuple_1", (1,))
    add("tuple_2", (1, "a"))
    add("tuple_3", (1, 2, 3))
    add("tuple_4", (1, 2, 3, 4))
    add("tuple_nested", ((1, (2, ())), [3]))
    add("list_empty", [])
    add("list_1", [1])
    add("list_mixed", [1, "a", None, 2.5, b"b"])
    add("list_1000", list(range(1000)))
    add("list_1001", list(range(1001)))
    add("dict_empty", {})
    add("dict_1", {"a": 1})
    add("dict_mixed", {1: "a", "b": [1], None: None, (1, 2): 3, b"k": 4, frozenset({1}): 5, 2.5: 6})
    add("dict_1000", {i: i for i in range(1000)})
    add("set_empty", set())
    add("set_ints", {1, 2, 3})
    add("set_strs", {"a", "b", "c"})
    add("set_1000", set(range(1000)))
    add("frozenset_empty", frozenset())
    add("frozenset_1", frozenset({"a"}))
    shared = [1]
    add("shared_list", [shared, shared, (shared,)])
    rec = []
    rec.append(rec)
    add("recursive_list", rec)
    recd = {}
    recd["self"] = recd
    add("recursive_dict", recd)
    rect = ([],)
    rect[0].append(rect)
    add("recursive_tuple", rect)
    s = "shared string"
    add("shared_str", [s, s])
    add("datetime_naive", datetime.datetime(2020, 1, 2, 3, 4, 5, 6))
    add("datetime_naive_0us", datetime.datetime(1999, 12, 31, 23, 59))
    add("datetime_utc", datetime.datetime(2020, 1, 2, 3, 4, 5, 600, tzinfo=datetime.timezone.utc))
    add("datetime_plus0530", datetime.datetime(2021, 6, 7, 8, 9, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))))
    add("datetime_minus8", datetime.datetime(2021, 6, 7, 8, 9, 10, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=-8))))
    add("datetime_fold", datetime.datetime(2021, 11, 7, 1, 30, fold=1))
    add("datetime_named_tz", datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1), "CET")))
    add("datetime_list_utc", [datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc), datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc)])
    add("date", datetime.date(2020, 2, 29))
    add("time", datetime.time(13, 14, 15, 16))
    add("time_0", datetime.time(0, 0))
    add("timedelta", datetime.timedelta(days=1, seconds=2, microseconds=3))
    add("timedelta_neg", datetime.timedelta(microseconds=-1))
    add("timezone_utc", datetime.timezone.utc)
    add("decimal", decimal.Decimal("1.10"))
    add("decimal_negzero", decimal.Decimal("-0.00"))
    add("decimal_exp", decimal.Decimal("1E+3"))
    add("decimal_small", decimal.Decimal("0.0000001"))
    add("decimal_nan", decimal.Decimal("NaN"))
    add("decimal_ninf", decimal.Decimal("-Infinity"))
    add("decimal_long", decimal.Decimal("3.14159265358979323846264338327950288419716939937510"))
    add("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678"))
    add("uuid_small", uuid.UUID(int=5))
    add("ellipsis", Ellipsis)
    add("notimplemented", NotImplemented)
    add("exc_keyerror", KeyError("x"))
    add("exc_valueerror", ValueError("a", 1))
    add("exc_noargs", StopIteration())
    add("exc_queue_empty", queue.Empty())
    add("exc_filenotfound", FileNotFoundError(2, "No such file or directory"))
    add("exc_remote", mm.RemoteError("Traceback ...\nKeyError: 'x'\n"))
    e = ValueError("with state")
    e.detail = 42
    add("exc_state", e)
    add("exc_user", vc.MyError("mine"))
    add("global_builtin_func", len)
    add("global_builtin_class", int)
    add("global_class", collections.OrderedDict)
    add("global_nested", datetime.datetime.fromtimestamp)
    add("ordereddict", collections.OrderedDict([("a", 1), ("b", 2)]))
    add("deque", collections.deque([1, 2]))
    add("defaultdict", collections.defaultdict(list, {"a": [1]}))
    add("partial", functools.partial(int, base=2))
    add("range", range(1, 10, 2))
    add("slice", slice(1, 2, None))
    add("fraction", fractions.Fraction(1, 3))
    add("point", vc.Point(1, "two"))
    add("points_shared", [vc.Point(1, 2)] * 2)
    add("slotted", vc.Slotted(1, [2]))
    add("tuple_state", vc.TupleState(1, 2))
    add("kwonly", vc.KwOnly(name="n"))
    ml = vc.MyList([1, 2, 3])
    ml.tag = "t"
    add("list_subclass", ml)
    md = vc.MyDict(a=1)
    md.tag = "t"
    add("dict_subclass", md)
    add("namedtuple", vc.Pair(1, 2))
    add("manager_create", (None, "create", ("dict",), {}))
    add("manager_return", ("#RETURN", [1, 2]))
    add("manager_error", ("#ERROR", KeyError("x")))
    token = mm.Token("dict", ("127.0.0.1", 50000), "7f0a1b2c3d40")
    add("manager_token", token)
    add("manager_proxy_reply", ("#PROXY", (("__getitem__", "__len__"), token)))
    add("frames_list_of_str", ["%04d" % i + "s" * 95 for i in range(700)])
    add("frames_bytes_70000", [b"y" * 70000, 1])
    add("frames_str_70000", ["z" * 70000, "tail"])
    add("deep_nesting", functools.reduce(lambda acc, _: [acc], range(200), []))
    return cases


# ---- typed JSON description of a value (what the C# reader must produce)

def _bits(f):
    return struct.pack(">d", f).hex()


class Describer:
    def __init__(self, proto):
        self.proto = proto
        self.ids = {}

    def ref_or_id(self, obj):
        key = id(obj)
        if key in self.ids:
            return {"t": "ref", "id": self.ids[key]}, None
        self.ids[key] = len(self.ids)
        return None, self.ids[key]

    def describe(self, obj):
        d = self._describe(obj)
        return d

    def _describe(self, obj):
        t = type(obj)
        if obj is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": obj}
        if t is int:
            return {"t": "int", "v": str(obj)}
        if t is float:
            return {"t": "float", "bits": _bits(obj)}
        if t is complex:
            return {"t": "complex", "re": _bits(obj.real), "im": _bits(obj.imag)}
        if t is str:
            return {"t": "str", "utf8": obj.encode("utf-8", "surrogatepass").hex()}
        if t is bytes:
            return {"t": "bytes", "hex": obj.hex()}
        if obj is Ellipsis:
            return {"t": "ellipsis"}
        if obj is NotImplemented:
            return {"t": "notimplemented"}
        if t is decimal.Decimal:
            return {"t": "decimal", "v": str(obj)}
        if t is uuid.UUID:
            return {"t": "uuid", "v": str(obj)}
        if t is datetime.timedelta:
            return {"t": "timedelta", "days": obj.days, "seconds": obj.seconds, "us": obj.microseconds}
        if t is datetime.date:
            return {"t": "date", "y": obj.year, "m": obj.month, "d": obj.day}
        if t is datetime.time and obj.tzinfo is None and not obj.fold:
            return {"t": "time", "h": obj.hour, "mi": obj.minute, "s": obj.second, "us": obj.microsecond}
        if t is datetime.datetime and not obj.fold and (obj.tzinfo is None or (
                type(obj.tzinfo) is datetime.timezone and obj.tzinfo.utcoffset(None) % datetime.timedelta(minutes=1) == datetime.timedelta(0)
                and obj.tzinfo == datetime.timezone(obj.tzinfo.utcoffset(None)) and str(obj.tzinfo) == str(datetime.timezone(obj.tzinfo.utcoffset(None))))):
            off = None if obj.tzinfo is None else int(obj.tzinfo.utcoffset(None).total_seconds())
            return {"t": "datetime", "y": obj.year, "m": obj.month, "d": obj.day, "h": obj.hour, "mi": obj.minute,
                    "s": obj.second, "us": obj.microsecond, "offset": off}
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__") and not hasattr(obj, "__reduce_ex__") is False and _is_global(obj):
            return {"t": "global", "module": _module_of(obj, self.proto), "name": _name_of(obj, self.proto)}
        # containers and objects that take part in the memo
        ref, ident = self.ref_or_id(obj)
        if ref:
            return ref
        if t is tuple:
            return {"t": "tuple", "id": ident, "items": [self._describe(x) for x in obj]}
        if t is list:
            return {"t": "list", "id": ident, "items": [self._describe(x) for x in obj]}
        if t is dict:
            return {"t": "dict", "id": ident, "items": [[self._describe(k), self._describe(v)] for k, v in obj.items()]}
        if t is set:
            return {"t": "set", "id": ident, "items": [self._describe(x) for x in obj]}
        if t is frozenset:
            return {"t": "frozenset", "id": ident, "items": [self._describe(x) for x in obj]}
        if t is bytearray:
            return {"t": "bytearray", "id": ident, "hex": obj.hex()}
        if isinstance(obj, BaseException) and _known_exception(t):
            rv = obj.__reduce_ex__(self.proto)
            state = rv[2] if len(rv) > 2 else None
            return {"t": "exception", "id": ident, "module": _module_of(t, self.proto), "name": _name_of(t, self.proto),
                    "args": [self._describe(a) for a in rv[1]],
                    "state": None if not state else self._describe(state)}
        return self._describe_reduce(obj, ident)

    def _describe_reduce(self, obj, ident):
        reduce = copyreg.dispatch_table.get(type(obj))
        rv = reduce(obj) if reduce else obj.__reduce_ex__(self.proto)
        rv = tuple(rv) + (None,) * (6 - len(rv))
        func, args, state, listitems, dictitems = rv[:5]
        kind = "reduce"
        name = getattr(func, "__name__", "")
        kwargs = None
        if self.proto >= 2 and name == "__newobj_ex__":
            kind = "newobj_ex"
            func, args, kwargs = args
        elif self.proto >= 2 and name == "__newobj__":
            kind = "newobj"
            func, args = args[0], args[1:]
        d = {"t": "reduce", "id": ident, "kind": kind, "callable": self._describe(func),
             "args": self._describe_tuple_value(args)}
        if kwargs is not None:
            d["kwargs"] = self._describe(kwargs)
        if listitems is not None:
            d["listitems"] = [self._describe(x) for x in listitems]
        if dictitems is not None:
            d["dictitems"] = [[self._describe(k), self._describe(v)] for k, v in dictitems]
        if state is not None:
            d["state"] = self._describe(state)
        return d

    def _describe_tuple_value(self, args):
        # The args tuple of a reduce is a fresh object in CPython (never shared), so describe it without an id.
        return {"t": "tuple", "items": [self._describe(x) for x in args]}


def _is_global(obj):
    return getattr(obj, "__module__", None) is not None and getattr(obj, "__qualname__", None) is not None and \
        type(obj).__name__ in ("type", "builtin_function_or_method", "function", "method", "ABCMeta")


def _known_exception(t):
    return t.__module__ in ("builtins", "queue", "_queue", "multiprocessing.managers", "multiprocessing.context")


def _module_of(obj, proto):
    m = getattr(obj, "__module__", None) or "builtins"
    if isinstance(obj, type) and obj.__module__ == "builtins":
        return "builtins"
    if obj.__class__.__name__ == "method" or obj.__class__.__name__ == "builtin_function_or_method" and getattr(obj, "__self__", None) is not None and not hasattr(sys.modules.get(m, None), obj.__name__):
        return m
    return m


def _name_of(obj, proto):
    return obj.__qualname__


# ---- emit (runs under each interpreter)

def emit():
    out = {"version": "%d.%d" % sys.version_info[:2], "full_version": sys.version.split()[0], "cases": {}}
    for name, value in corpus().items():
        entry = {}
        for proto in range(0, 6):
            if name.startswith("frames_") and proto < 4:
                entry[str(proto)] = {"error": "skipped: frames exist only at protocol 4+"}
                continue
            if name == "kwonly" and proto < 4:
                entry[str(proto)] = {"error": "skipped: before protocol 4 the C pickler wraps __newobj_ex__ in a functools.partial of cls.__new__"}
                continue
            try:
                data = pickle.dumps(value, proto)
            except Exception as e:  # noqa: BLE001 - record why a protocol cannot carry the value
                entry[str(proto)] = {"error": "%s: %s" % (type(e).__name__, e)}
                continue
            buf = io.StringIO()
            pickletools.dis(data, out=buf)
            loaded = pickle.loads(data)
            entry[str(proto)] = {
                "pickle": base64.b64encode(data).decode(),
                "dis": buf.getvalue(),
                "value": Describer(proto).describe(loaded),
                "repr": repr(loaded),
            }
        out["cases"][name] = entry
    json.dump(out, sys.stdout)


def _key(table, item):
    """Stores item once in table (variants mostly share values); returns its key."""
    text = json.dumps(item, sort_keys=True)
    key = hashlib.sha256(text.encode()).hexdigest()[:8]
    table[key] = item
    return key


def interpreters():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = {}
    for v in VERSIONS:
        if v in PEER_ROOT_VERSIONS:
            found[v] = PEER_ROOT_VERSIONS[v]
            continue
        paths = sorted(glob.glob(os.path.join(root, "versions", v + ".*", "bin", "python3")))
        if not paths:
            sys.exit("CPython %s not found under %s/versions" % (v, root))
        found[v] = paths[-1]
    return found


def main():
    results = {}
    for v, exe in interpreters().items():
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=HERE)
        proc = subprocess.run([exe, os.path.abspath(__file__), "--emit"], env=env, capture_output=True, check=True, timeout=600)
        results[v] = json.loads(proc.stdout)
        print("collected", results[v]["full_version"], file=sys.stderr)

    cases_dir = os.path.join(HERE, "cases")
    shutil.rmtree(cases_dir, ignore_errors=True)
    names = list(results[VERSIONS[-1]]["cases"])
    for name in names:
        folder = os.path.join(cases_dir, name)
        os.makedirs(folder)
        variants = []
        written = {}
        values = {}
        reprs = {}
        for v in VERSIONS:
            entry = results[v]["cases"].get(name)
            if entry is None:
                continue
            for proto in range(6):
                item = entry[str(proto)]
                if "error" in item:
                    variants.append({"version": v, "protocol": proto, "error": item["error"]})
                    continue
                data = base64.b64decode(item["pickle"])
                stem = "p%d-%s" % (proto, hashlib.sha256(data).hexdigest()[:8])
                if stem not in written:
                    written[stem] = True
                    with open(os.path.join(folder, stem + ".pickle"), "wb") as f:
                        f.write(data)
                    with open(os.path.join(folder, stem + ".dis"), "w", encoding="utf-8", newline="\n") as f:
                        f.write(item["dis"])
                value_key = _key(values, item["value"])
                repr_key = _key(reprs, item["repr"])
                variants.append({"version": v, "protocol": proto, "pickle": stem, "value": value_key, "repr": repr_key})
        with open(os.path.join(folder, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
            json.dump({"case": name, "variants": variants, "values": values, "reprs": reprs}, f, indent=0, ensure_ascii=True, sort_keys=True)
            f.write("\n")
    with open(os.path.join(HERE, "versions.json"), "w") as f:
        json.dump({v: results[v]["full_version"] for v in VERSIONS}, f, indent=1)
        f.write("\n")
    print("wrote %d cases to %s" % (len(names), cases_dir), file=sys.stderr)


if __name__ == "__main__":
    if "--emit" in sys.argv:
        emit()
    else:
        main()
