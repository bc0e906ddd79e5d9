using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>array.array(typecode, sequence)</c> (type id <c>Array</c>, ArrayProxy): <c>__len__</c>, <c>__getitem__</c>,
/// <c>__setitem__</c> with slices; items are checked and converted per typecode as CPython does ('f' rounds to
/// float32). Arrays travel as multiprocessing's pickler sends them: <c>array.array(typecode, bytes)</c>.
/// </summary>
internal sealed class SharedArray : Referent, IIterableReferent
{
    public static readonly string[] Exposed = ["__len__", "__getitem__", "__setitem__"];

    private static readonly PySignature s_init = new("Array", ["typecode", "sequence", "lock"], [PySignature.Required, PySignature.Required, true]);
    private static readonly PyGlobal s_array = new("array", "array");

    private readonly ArrayTypecode _code;
    private readonly List<object> _items;

    private SharedArray(ArrayTypecode code, List<object> items)
    {
        _code = code;
        _items = items;
    }

    /// <summary><c>managers.Array(typecode, sequence, lock=True)</c>.</summary>
    public static SharedArray Create(PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        var a = s_init.Bind(args, kwargs);
        var code = ArrayTypecode.Get(a[0]);
        return new SharedArray(code, Initial(code, a[1], context));
    }

    /// <summary>Reads an array as a request carries it: <c>array.array(typecode, bytes_or_list)</c>.</summary>
    public static bool TryFromReduce(PyReduce reduce, out SharedArray array)
    {
        array = null!;
        if (reduce.Kind != PyReduceKind.Reduce || reduce.Callable is not PyGlobal g || !g.Is("array", "array") || reduce.Args.Count != 2)
        {
            return false;
        }

        var code = ArrayTypecode.Get(reduce.Args[0]);
        array = new SharedArray(code, Initial(code, reduce.Args[1], null));
        return true;
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"{name}() takes no keyword arguments");
        }

        lock (_items)
        {
            switch (name)
            {
                case "__len__":
                    return args.Count == 0 ? (long)_items.Count : throw PyErrors.TypeError($"expected 0 arguments, got {args.Count}");
                case "__getitem__" when args.Count == 1:
                    return GetItem(args[0]);
                case "__setitem__" when args.Count == 2:
                    SetItem(args[0], args[1]);
                    return null;
                case "__getitem__" or "__setitem__":
                    throw PyErrors.TypeError($"expected {(name == "__getitem__" ? 1 : 2)} arguments, got {args.Count}");
                default:
                    throw NoSuchMethod("array.array", name);
            }
        }
    }

    public override object? GetValue()
    {
        lock (_items)
        {
            return ToReduce(_items);
        }
    }

    public override IEnumerable<string> PublicMethods() =>
    [
        "append", "buffer_info", "byteswap", "count", "extend", "frombytes", "fromfile", "fromlist", "fromunicode",
        "index", "insert", "pop", "remove", "reverse", "tobytes", "tofile", "tolist", "tounicode",
    ];

    public override string Repr()
    {
        lock (_items)
        {
            if (_items.Count == 0)
            {
                return $"array('{_code.Code}')";
            }

            var body = _code.IsUnicode ? PyRepr.Repr(string.Concat(_items)) : PyRepr.Repr(new List<object?>(_items));
            return $"array('{_code.Code}', {body})";
        }
    }

    public List<object?> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    private static List<object> Initial(ArrayTypecode code, object? initializer, SharedCallContext? context)
    {
        switch (initializer)
        {
            case string s when code.IsUnicode:
                return [.. CodePoints.Split(s).Select(c => (object)c!)];
            case string:
                throw PyErrors.TypeError($"cannot use a str to initialize an array with typecode '{code.Code}'");
            case byte[] or PyByteArray:
                var bytes = initializer is byte[] b ? b : ((PyByteArray)initializer).ToArray();
                if (bytes.Length % code.ItemSize != 0)
                {
                    throw PyErrors.ValueError("bytes length not a multiple of item size");
                }

                var items = new List<object>(bytes.Length / code.ItemSize);
                for (var i = 0; i < bytes.Length; i += code.ItemSize)
                {
                    items.Add(code.Read(bytes.AsSpan(i, code.ItemSize)));
                }

                return items;
            default:
                return [.. PyIteration.ToList(initializer, context).Select(code.Convert)];
        }
    }

    private PyReduce ToReduce(List<object> items)
    {
        var bytes = new byte[items.Count * _code.ItemSize];
        for (var i = 0; i < items.Count; i++)
        {
            _code.Write(bytes.AsSpan(i * _code.ItemSize, _code.ItemSize), items[i]);
        }

        return new PyReduce(s_array, PyTuple.Create(_code.Code.ToString(), bytes));
    }

    private object? GetItem(object? key)
    {
        if (PySlice.IsSlice(key, out var slice))
        {
            var s = PySlice.Resolve(slice, _items.Count);
            var part = new List<object>(s.Length);
            for (var i = 0; i < s.Length; i++)
            {
                part.Add(_items[s.IndexAt(i)]);
            }

            return ToReduce(part);
        }

        return _items[Normalize(key, "array index out of range")];
    }

    private void SetItem(object? key, object? value)
    {
        if (!PySlice.IsSlice(key, out var slice))
        {
            var index = Normalize(key, "array assignment index out of range");
            _items[index] = _code.Convert(value);
            return;
        }

        if (value is not PyReduce reduce || !TryFromReduce(reduce, out var other))
        {
            throw PyErrors.TypeError($"can only assign array (not \"{PyRepr.TypeName(value)}\") to array slice");
        }

        if (other._code != _code)
        {
            throw PyErrors.TypeError("bad argument type for built-in operation");
        }

        var s = PySlice.Resolve(slice, _items.Count);
        if (s.Step == 1)
        {
            var start = (int)s.Start;
            var stop = Math.Max(start, (int)s.Stop);
            _items.RemoveRange(start, stop - start);
            _items.InsertRange(start, other._items);
            return;
        }

        if (other._items.Count != s.Length)
        {
            throw PyErrors.ValueError($"attempt to assign array of size {other._items.Count} to extended slice of size {s.Length}");
        }

        for (var i = 0; i < s.Length; i++)
        {
            _items[s.IndexAt(i)] = other._items[i];
        }
    }

    private int Normalize(object? key, string message)
    {
        if (!PyValues.IsInt(key))
        {
            throw PyErrors.TypeError("array indices must be integers");
        }

        var index = PyValues.AsIndex(key);
        if (index < 0)
        {
            index += _items.Count;
        }

        return index >= 0 && index < _items.Count ? (int)index : throw PyErrors.IndexError(message);
    }
}
