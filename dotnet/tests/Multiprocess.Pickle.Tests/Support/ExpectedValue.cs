using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle.Tests.Support;

/// <summary>
/// Checks a value read by the C# unpickler against gen_vectors.py's typed JSON description, including identity:
/// an object described with "id" and later referenced with "ref" must be the same .NET object.
/// </summary>
public sealed class ExpectedValue
{
    private readonly Dictionary<int, object?> _ids = [];
    private readonly List<string> _errors = [];

    public static IReadOnlyList<string> Check(JsonElement expected, object? actual)
    {
        var checker = new ExpectedValue();
        checker.Walk(expected, actual, "value");
        return checker._errors;
    }

    /// <summary>Builds the .NET value a description stands for (no identity), for hashable set members.</summary>
    public static object? Build(JsonElement d)
    {
        var t = d.GetProperty("t").GetString();
        return t switch
        {
            "none" => null,
            "bool" => d.GetProperty("v").GetBoolean(),
            "int" => ParseInt(d.GetProperty("v").GetString()!),
            "float" => Bits(d.GetProperty("bits")),
            "complex" => new Complex(Bits(d.GetProperty("re")), Bits(d.GetProperty("im"))),
            "str" => Str(d),
            "bytes" => Convert.FromHexString(d.GetProperty("hex").GetString()!),
            "tuple" => new PyTuple(d.GetProperty("items").EnumerateArray().Select(Build).ToArray()),
            "frozenset" => new PyFrozenSet(d.GetProperty("items").EnumerateArray().Select(Build).ToList()),
            "decimal" => PyDecimal.Parse(d.GetProperty("v").GetString()!),
            "uuid" => Guid.Parse(d.GetProperty("v").GetString()!),
            _ => throw new NotSupportedException("cannot build " + t),
        };
    }

    private static object ParseInt(string s)
    {
        var b = BigInteger.Parse(s, CultureInfo.InvariantCulture);
        return b >= long.MinValue && b <= long.MaxValue ? (object)(long)b : b;
    }

    private static double Bits(JsonElement hex) =>
        BinaryPrimitives.ReadDoubleBigEndian(Convert.FromHexString(hex.GetString()!));

    private static string Str(JsonElement d)
    {
        Assert.That(PyUtf8.TryDecode(Convert.FromHexString(d.GetProperty("utf8").GetString()!), out var s), Is.True);
        return s;
    }

    private void Fail(string path, string message) => _errors.Add($"{path}: {message}");

    private bool Expect<T>(object? actual, string path, out T value)
    {
        if (actual is T t)
        {
            value = t;
            return true;
        }

        Fail(path, $"expected {typeof(T).Name}, got {actual?.GetType().Name ?? "null"} ({Repr(actual)})");
        value = default!;
        return false;
    }

    private static string Repr(object? v)
    {
        try
        {
            var r = PyRepr.Repr(v);
            return r.Length > 80 ? r[..80] + "…" : r;
        }
        catch (Exception e)
        {
            return "<repr failed: " + e.Message + ">";
        }
    }

    private void Walk(JsonElement d, object? actual, string path)
    {
        var t = d.GetProperty("t").GetString();
        if (t == "ref")
        {
            var id = d.GetProperty("id").GetInt32();
            if (!_ids.TryGetValue(id, out var target) || !ReferenceEquals(target, actual))
            {
                Fail(path, $"expected the same object as id {id}, got {Repr(actual)}");
            }

            return;
        }

        if (d.TryGetProperty("id", out var idElement))
        {
            _ids[idElement.GetInt32()] = actual;
        }

        switch (t)
        {
            case "none":
                if (actual is not null)
                {
                    Fail(path, $"expected None, got {Repr(actual)}");
                }

                break;
            case "bool":
                if (Expect<bool>(actual, path, out var b) && b != d.GetProperty("v").GetBoolean())
                {
                    Fail(path, $"expected {d.GetProperty("v")}, got {b}");
                }

                break;
            case "int":
                var expectedInt = ParseInt(d.GetProperty("v").GetString()!);
                if (expectedInt.GetType() != actual?.GetType() || !expectedInt.Equals(actual))
                {
                    Fail(path, $"expected int {expectedInt} ({expectedInt.GetType().Name}), got {Repr(actual)} ({actual?.GetType().Name})");
                }

                break;
            case "float":
                if (Expect<double>(actual, path, out var f) && BitConverter.DoubleToInt64Bits(f) != BitConverter.DoubleToInt64Bits(Bits(d.GetProperty("bits"))))
                {
                    Fail(path, $"expected float bits {d.GetProperty("bits")}, got {BitConverter.DoubleToInt64Bits(f):x16} ({Repr(f)})");
                }

                break;
            case "complex":
            case "str":
            case "bytes":
            case "decimal":
            case "uuid":
                var built = Build(d);
                if (built?.GetType() != actual?.GetType() || (built is not PyDecimal && !PyObjectComparer.Structural.Equals(built, actual))
                    || (built is Complex c1 && actual is Complex c2 && (BitConverter.DoubleToInt64Bits(c1.Real) != BitConverter.DoubleToInt64Bits(c2.Real) || BitConverter.DoubleToInt64Bits(c1.Imaginary) != BitConverter.DoubleToInt64Bits(c2.Imaginary)))
                    || (built is PyDecimal d1 && d1.ToString() != actual?.ToString()))
                {
                    Fail(path, $"expected {t} {Repr(built)}, got {Repr(actual)} ({actual?.GetType().Name})");
                }

                break;
            case "bytearray":
                if (Expect<PyByteArray>(actual, path, out var ba) && Convert.ToHexString(ba.Span) != d.GetProperty("hex").GetString()!.ToUpperInvariant())
                {
                    Fail(path, $"expected bytearray {d.GetProperty("hex")}, got {Repr(ba)}");
                }

                break;
            case "tuple":
                if (Expect<PyTuple>(actual, path, out var tuple))
                {
                    Items(d.GetProperty("items"), tuple.ToArray(), path);
                }

                break;
            case "list":
                if (Expect<List<object?>>(actual, path, out var list))
                {
                    Items(d.GetProperty("items"), list, path);
                }

                break;
            case "dict":
                if (Expect<PyDict>(actual, path, out var dict))
                {
                    var items = d.GetProperty("items").EnumerateArray().ToList();
                    var pairs = dict.ToList();
                    if (items.Count != pairs.Count)
                    {
                        Fail(path, $"expected {items.Count} items, got {pairs.Count}");
                        break;
                    }

                    for (var i = 0; i < items.Count; i++)
                    {
                        Walk(items[i][0], pairs[i].Key, $"{path}.key[{i}]");
                        Walk(items[i][1], pairs[i].Value, $"{path}[{Repr(pairs[i].Key)}]");
                    }
                }

                break;
            case "set":
            case "frozenset":
                PySetBase? set = t == "set" ? (Expect<PySet>(actual, path, out var s1) ? s1 : null) : (Expect<PyFrozenSet>(actual, path, out var s2) ? s2 : null);
                if (set is not null)
                {
                    var expectedItems = d.GetProperty("items").EnumerateArray().Select(Build).ToList();
                    if (expectedItems.Count != set.Count || expectedItems.Any(x => !set.Contains(x)))
                    {
                        Fail(path, $"expected {t} of {expectedItems.Count} items, got {Repr(set)}");
                    }
                }

                break;
            case "datetime":
                CheckDateTime(d, actual, path);
                break;
            case "date":
                if (Expect<DateOnly>(actual, path, out var date) && date != new DateOnly(d.GetProperty("y").GetInt32(), d.GetProperty("m").GetInt32(), d.GetProperty("d").GetInt32()))
                {
                    Fail(path, $"expected date {d}, got {date}");
                }

                break;
            case "time":
                if (Expect<TimeOnly>(actual, path, out var time)
                    && time != new TimeOnly(d.GetProperty("h").GetInt32(), d.GetProperty("mi").GetInt32(), d.GetProperty("s").GetInt32()).Add(TimeSpan.FromMicroseconds(d.GetProperty("us").GetInt32())))
                {
                    Fail(path, $"expected time {d}, got {time:O}");
                }

                break;
            case "timedelta":
                var expectedSpan = TimeSpan.FromDays(d.GetProperty("days").GetInt64()) + TimeSpan.FromSeconds(d.GetProperty("seconds").GetInt64()) + TimeSpan.FromMicroseconds(d.GetProperty("us").GetInt64());
                if (Expect<TimeSpan>(actual, path, out var span) && span != expectedSpan)
                {
                    Fail(path, $"expected timedelta {expectedSpan}, got {span}");
                }

                break;
            case "ellipsis":
                if (!ReferenceEquals(actual, PySingleton.Ellipsis))
                {
                    Fail(path, $"expected Ellipsis, got {Repr(actual)}");
                }

                break;
            case "notimplemented":
                if (!ReferenceEquals(actual, PySingleton.NotImplemented))
                {
                    Fail(path, $"expected NotImplemented, got {Repr(actual)}");
                }

                break;
            case "global":
                if (Expect<PyGlobal>(actual, path, out var g) && !g.Is(d.GetProperty("module").GetString()!, d.GetProperty("name").GetString()!))
                {
                    Fail(path, $"expected global {d.GetProperty("module")}.{d.GetProperty("name")}, got {g}");
                }

                break;
            case "exception":
                if (Expect<PyException>(actual, path, out var ex))
                {
                    if (!ex.Type.Is(d.GetProperty("module").GetString()!, d.GetProperty("name").GetString()!))
                    {
                        Fail(path, $"expected exception {d.GetProperty("module")}.{d.GetProperty("name")}, got {ex.Type}");
                    }

                    Items(d.GetProperty("args"), ex.Args.ToArray(), path + ".args");
                    CheckOptional(d, "state", ex.State, path + ".state");
                }

                break;
            case "reduce":
                if (actual is PyException)
                {
                    Fail(path, $"expected a reduce value, got the exception {Repr(actual)}");
                }
                else if (Expect<PyReduce>(actual, path, out var r))
                {
                    var kind = d.GetProperty("kind").GetString() switch
                    {
                        "newobj" => PyReduceKind.NewObj,
                        "newobj_ex" => PyReduceKind.NewObjEx,
                        _ => PyReduceKind.Reduce,
                    };
                    if (r.Kind != kind)
                    {
                        Fail(path, $"expected kind {kind}, got {r.Kind}");
                    }

                    Walk(d.GetProperty("callable"), r.Callable, path + ".callable");
                    Walk(d.GetProperty("args"), r.Args, path + ".args");
                    CheckOptional(d, "kwargs", r.Kwargs, path + ".kwargs");
                    CheckOptional(d, "state", r.State, path + ".state");
                    if (d.TryGetProperty("listitems", out var li))
                    {
                        Items(li, r.ListItems ?? [], path + ".listitems");
                    }
                    else if (r.ListItems is { Count: > 0 })
                    {
                        Fail(path, "unexpected listitems");
                    }

                    if (d.TryGetProperty("dictitems", out var di))
                    {
                        var expected = di.EnumerateArray().ToList();
                        var got = r.DictItems ?? [];
                        if (expected.Count != got.Count)
                        {
                            Fail(path, $"expected {expected.Count} dictitems, got {got.Count}");
                        }
                        else
                        {
                            for (var i = 0; i < got.Count; i++)
                            {
                                Walk(expected[i][0], got[i].Key, $"{path}.dictitems[{i}].key");
                                Walk(expected[i][1], got[i].Value, $"{path}.dictitems[{i}].value");
                            }
                        }
                    }
                    else if (r.DictItems is { Count: > 0 })
                    {
                        Fail(path, "unexpected dictitems");
                    }
                }

                break;
            default:
                Fail(path, "unknown description type " + t);
                break;
        }
    }

    private void CheckOptional(JsonElement d, string name, object? actual, string path)
    {
        if (d.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null)
        {
            Walk(e, actual, path);
        }
        else if (actual is not null && !(actual is PyDict { Count: 0 }))
        {
            Fail(path, $"expected no {name}, got {Repr(actual)}");
        }
    }

    private void Items(JsonElement items, IList<object?> actual, string path)
    {
        var expected = items.EnumerateArray().ToList();
        if (expected.Count != actual.Count)
        {
            Fail(path, $"expected {expected.Count} items, got {actual.Count}: {Repr(actual)}");
            return;
        }

        for (var i = 0; i < expected.Count; i++)
        {
            Walk(expected[i], actual[i], $"{path}[{i}]");
        }
    }

    private void CheckDateTime(JsonElement d, object? actual, string path)
    {
        var local = new DateTime(d.GetProperty("y").GetInt32(), d.GetProperty("m").GetInt32(), d.GetProperty("d").GetInt32(),
            d.GetProperty("h").GetInt32(), d.GetProperty("mi").GetInt32(), d.GetProperty("s").GetInt32()).AddTicks(d.GetProperty("us").GetInt32() * 10L);
        var offset = d.GetProperty("offset");
        if (offset.ValueKind == JsonValueKind.Null)
        {
            if (Expect<DateTime>(actual, path, out var dt) && (dt != local || dt.Kind != DateTimeKind.Unspecified))
            {
                Fail(path, $"expected naive {local:O}, got {dt:O} ({dt.Kind})");
            }
        }
        else if (Expect<DateTimeOffset>(actual, path, out var dto))
        {
            var expected = new DateTimeOffset(local, TimeSpan.FromSeconds(offset.GetInt32()));
            if (dto.DateTime != expected.DateTime || dto.Offset != expected.Offset)
            {
                Fail(path, $"expected {expected:O}, got {dto:O}");
            }
        }
    }
}
