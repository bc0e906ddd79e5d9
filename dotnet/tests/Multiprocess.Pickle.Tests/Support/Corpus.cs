using System.Numerics;

namespace Multiprocess.Pickle.Tests.Support;

/// <summary>Values built in C# that every CPython must read, and give back equal.</summary>
public static class Corpus
{
    public static IReadOnlyList<(string Name, object? Value)> Build()
    {
        var list = new List<(string, object?)>
        {
            ("none", null), ("true", true), ("false", false), ("zero", 0L), ("int32", 12345678), ("minus_one", -1L),
            ("long_max", long.MaxValue), ("long_min", long.MinValue), ("uint64_max", ulong.MaxValue),
            ("big_pos", BigInteger.Pow(2, 1000)), ("big_neg", -BigInteger.Pow(2, 1000) + 7),
            ("float", 1.5), ("float_tenth", 0.1), ("neg_zero", -0.0), ("nan", double.NaN), ("inf", double.PositiveInfinity),
            ("minus_inf", double.NegativeInfinity), ("epsilon", double.Epsilon), ("single", 1.25f),
            ("complex", new Complex(1, -2)), ("str_empty", ""), ("str", "hello"), ("str_nonbmp", "a😀b𝄞"),
            ("str_lone_surrogates", "x\ud800y\udfffz"), ("str_big", new string('ü', 40_000)), ("char", 'c'),
            ("bytes_empty", Array.Empty<byte>()), ("bytes", new byte[] { 0, 1, 2, 255 }), ("bytes_big", new byte[100_000]),
            ("bytearray", new PyByteArray(new byte[] { 9, 8, 7 }.AsMemory())), ("bytearray_empty", new PyByteArray(Memory<byte>.Empty)),
            ("tuple_empty", PyTuple.Empty), ("tuple", PyTuple.Create(1L, "a", PyTuple.Create(2L))),
            ("value_tuple", (1L, "two", 3.0)), ("list", new List<object?> { 1L, "a", null, new List<object?>() }),
            ("array", new object?[] { 1L, 2L }), ("list_1500", Enumerable.Range(0, 1500).Select(i => (object?)(long)i).ToList()),
            ("dict", new PyDict { ["a"] = 1L, [null] = "none", [PyTuple.Create(1L, 2L)] = "t", [new PyFrozenSet(1L)] = "fs", [2.5] = true }),
            ("dict_1000", Enumerable.Range(0, 1000).Aggregate(new PyDict(), (d, i) => { d[(long)i] = "v" + i; return d; })),
            ("clr_dictionary", new Dictionary<string, long> { ["x"] = 1, ["y"] = 2 }),
            ("set", new PySet { 1L, "a", PyTuple.Create(1L) }), ("frozenset", new PyFrozenSet("x", "y")), ("set_empty", new PySet()),
            ("datetime", new DateTime(2024, 2, 29, 23, 59, 58, DateTimeKind.Unspecified).AddTicks(1234560)),
            ("datetime_utc", new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            ("datetime_offset", new DateTimeOffset(2024, 1, 1, 12, 30, 0, TimeSpan.FromMinutes(330)).AddTicks(10)),
            ("datetime_negative_offset", new DateTimeOffset(1999, 12, 31, 23, 0, 0, TimeSpan.FromHours(-8))),
            ("date", new DateOnly(1, 1, 1)), ("time", new TimeOnly(23, 59, 59).Add(TimeSpan.FromTicks(9_999_990))),
            ("timedelta", TimeSpan.FromDays(-3.5) + TimeSpan.FromTicks(70)), ("decimal", 1.10m), ("decimal_neg", -0.000001m),
            ("pydecimal", PyDecimal.Parse("-1.23456789012345678901234567890E+500")), ("pydecimal_nan", PyDecimal.Parse("sNaN12")),
            ("guid", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")), ("ellipsis", PySingleton.Ellipsis),
            ("notimplemented", PySingleton.NotImplemented), ("global", new PyGlobal("builtins", "len")),
            ("keyerror", PyException.Builtin("KeyError", "x")), ("queue_empty", PyException.Create("_queue", "Empty")),
            ("ordered_dict", new PyReduce(new PyGlobal("collections", "OrderedDict"), PyTuple.Empty) { DictItems = [new("a", 1L), new("b", 2L)] }),
            ("token", PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"), state: PyTuple.Create("dict", PyTuple.Create("127.0.0.1", 5000L), "7f00"))),
            ("manager_request", PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict())),
        };

        var shared = new List<object?> { "shared" };
        list.Add(("shared", new List<object?> { shared, shared, PyTuple.Create(shared) }));
        var recursive = new List<object?>();
        recursive.Add(recursive);
        list.Add(("recursive_list", recursive));
        var recursiveDict = new PyDict();
        recursiveDict["me"] = recursiveDict;
        list.Add(("recursive_dict", recursiveDict));
        var inner = new List<object?>();
        var recursiveTuple = PyTuple.Create(inner, 1L);
        inner.Add(recursiveTuple);
        list.Add(("recursive_tuple", recursiveTuple));
        object? nested = new List<object?>();
        for (var i = 0; i < 400; i++)
        {
            nested = new List<object?> { nested };
        }

        list.Add(("deep_400", nested)); // CPython 3.12's C recursion limit stops its pickler near 500 levels
        return list;
    }
}
