using System.Numerics;
using System.Text;

namespace Multiprocess.Pickle;

/// <summary>
/// The globals the unpickler turns into natural values when they are called (REDUCE): what CPython's builtins and
/// stdlib types reduce to (<c>complex</c>, <c>set</c>/<c>frozenset</c> before protocol 4, <c>bytearray</c> before 5,
/// <c>_codecs.encode</c> for bytes before 3, <c>datetime</c>, <c>decimal.Decimal</c>). A call whose arguments do not
/// have the expected shape stays a lossless <see cref="PyReduce"/>.
/// </summary>
internal static class KnownReducers
{
    internal delegate bool Reducer(PyTuple args, out object? result);

    private static readonly Dictionary<(string, string), object> s_globals = BuildGlobals();

    /// <summary>Resolves GLOBAL/STACK_GLOBAL: the singletons, a shared instance for known callables, else a new <see cref="PyGlobal"/>.</summary>
    public static object Global(string module, string name) =>
        s_globals.TryGetValue((module, name), out var known) ? known : new PyGlobal(module, name);

    public static bool TryReduce(PyGlobal callable, PyTuple args, out object? result)
    {
        if (callable.Reducer is { } reducer)
        {
            return reducer(args, out result);
        }

        result = null;
        return false;
    }

    public static bool TryGuid(object? value, out Guid guid)
    {
        BigInteger n;
        switch (value)
        {
            case long l when l >= 0: n = l; break;
            case BigInteger b when b.Sign >= 0 && b.GetBitLength() <= 128: n = b; break;
            default: guid = default; return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        var count = n.GetByteCount(isUnsigned: true);
        n.TryWriteBytes(bytes[(16 - count)..], out _, isUnsigned: true, isBigEndian: true);
        guid = new Guid(bytes, bigEndian: true);
        return true;
    }

    private static Dictionary<(string, string), object> BuildGlobals()
    {
        var d = new Dictionary<(string, string), object>
        {
            [("builtins", "Ellipsis")] = PySingleton.Ellipsis,
            [("builtins", "NotImplemented")] = PySingleton.NotImplemented,
        };

        void Add(string module, string name, Reducer reducer) => d[(module, name)] = new PyGlobal(module, name) { Reducer = reducer };

        Add("builtins", "complex", Complex);
        Add("builtins", "set", (PyTuple a, out object? r) => Set(a, frozen: false, out r));
        Add("builtins", "frozenset", (PyTuple a, out object? r) => Set(a, frozen: true, out r));
        Add("builtins", "bytearray", ByteArray);
        Add("builtins", "bytes", Bytes);
        Add("_codecs", "encode", CodecsEncode);
        Add("datetime", "datetime", DateTimeReducer);
        Add("datetime", "date", DateReducer);
        Add("datetime", "time", TimeReducer);
        Add("datetime", "timedelta", TimeDeltaReducer);
        Add("decimal", "Decimal", DecimalReducer);
        return d;
    }

    private static bool AsDouble(object? v, out double d)
    {
        switch (v)
        {
            case double x: d = x; return true;
            case long l: d = l; return true;
            case bool b: d = b ? 1 : 0; return true;
            case BigInteger big: d = (double)big; return double.IsFinite(d);
            default: d = 0; return false;
        }
    }

    private static bool Complex(PyTuple args, out object? result)
    {
        result = null;
        double re = 0, im = 0;
        if (args.Count is < 1 or > 2 || !AsDouble(args[0], out re) || (args.Count == 2 && !AsDouble(args[1], out im)))
        {
            return false;
        }

        result = new Complex(re, im);
        return true;
    }

    private static bool Set(PyTuple args, bool frozen, out object? result)
    {
        result = null;
        IEnumerable<object?> items;
        if (args.Count == 0)
        {
            items = [];
        }
        else if (args.Count == 1 && args[0] is List<object?> or PyTuple)
        {
            items = (IEnumerable<object?>)args[0]!;
        }
        else
        {
            return false;
        }

        result = frozen ? (items is ICollection<object?> { Count: 0 } ? new PyFrozenSet([]) : new PyFrozenSet(items)) : new PySet(items);
        return true;
    }

    private static bool ByteArray(PyTuple args, out object? result)
    {
        result = args.Count switch
        {
            0 => new PyByteArray(Array.Empty<byte>().AsMemory()),
            1 when args[0] is byte[] b => new PyByteArray(b.AsSpan()), // copy: the bytes object may be shared via the memo
            2 when args[0] is string s && args[1] is "latin-1" or "latin1" && Latin1(s, out var b) => new PyByteArray(b.AsMemory()),
            _ => null,
        };
        return result is not null;
    }

    private static bool Bytes(PyTuple args, out object? result)
    {
        result = args.Count == 0 ? Array.Empty<byte>() : null;
        return result is not null;
    }

    private static bool CodecsEncode(PyTuple args, out object? result)
    {
        result = null;
        if (args.Count == 2 && args[0] is string s && args[1] is "latin1" or "latin-1" && Latin1(s, out var b))
        {
            result = b;
            return true;
        }

        return false;
    }

    private static bool Latin1(string s, out byte[] bytes)
    {
        foreach (var c in s)
        {
            if (c > 0xFF)
            {
                bytes = [];
                return false;
            }
        }

        bytes = Encoding.Latin1.GetBytes(s);
        return true;
    }

    private static bool DateTimeReducer(PyTuple args, out object? result)
    {
        result = null;
        if (args.Count is 1 or 2 && args[0] is byte[] state && PyDateTime.ReadDateTime(state) is { } dt)
        {
            if (args.Count == 1 || args[1] is null)
            {
                result = dt;
            }
            else if (PyDateTime.ReadFixedOffset(args[1]) is { } offset)
            {
                result = new DateTimeOffset(dt, offset);
            }
        }

        return result is not null;
    }

    private static bool DateReducer(PyTuple args, out object? result)
    {
        result = args.Count == 1 && args[0] is byte[] state && PyDateTime.ReadDate(state) is { } d ? d : null;
        return result is not null;
    }

    private static bool TimeReducer(PyTuple args, out object? result)
    {
        result = (args.Count == 1 || (args.Count == 2 && args[1] is null)) && args[0] is byte[] state && PyDateTime.ReadTime(state) is { } t ? t : null;
        return result is not null;
    }

    private static bool TimeDeltaReducer(PyTuple args, out object? result)
    {
        result = args.Count == 3 && PyDateTime.ReadTimeDelta(args[0], args[1], args[2]) is { } ts ? ts : null;
        return result is not null;
    }

    private static bool DecimalReducer(PyTuple args, out object? result)
    {
        result = args.Count == 1 && args[0] is string s && PyDecimal.TryParse(s, out var d) && d.ToString() == s ? d : null;
        return result is not null;
    }
}
