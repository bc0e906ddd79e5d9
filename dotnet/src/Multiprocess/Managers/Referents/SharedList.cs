using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>list</c> (type id <c>list</c>, ListProxy) behind a lock: indexing and slices (extended too), the sequence
/// operators, and every list method, with CPython's errors. Values compare with Python's <c>==</c>
/// (<see cref="PyObjectComparer.Python"/>); user-class instances compare by identity, as Python objects without
/// <c>__eq__</c> do.
/// </summary>
internal sealed partial class SharedList : Referent, IIterableReferent
{
    public static readonly string[] Exposed =
    [
        "__add__", "__contains__", "__delitem__", "__getitem__", "__len__", "__mul__", "__reversed__", "__rmul__",
        "__setitem__", "append", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort", "__imul__",
    ];

    /// <summary>CPython 3.14's ListProxy: <c>clear</c> and <c>copy</c> added, <c>__imul__</c> sorted in.</summary>
    public static readonly string[] Exposed314 =
    [
        "__add__", "__contains__", "__delitem__", "__getitem__", "__imul__", "__len__", "__mul__", "__reversed__",
        "__rmul__", "__setitem__", "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove",
        "reverse", "sort",
    ];

    private static readonly PySignature s_sort = new("sort", ["key", "reverse"], [null, false], keywordOnly: true);

    private readonly List<object?> _items;

    public SharedList(List<object?> items) => _items = items;

    /// <summary><c>list(iterable=())</c>.</summary>
    public static SharedList Create(PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError("list() takes no keyword arguments");
        }

        return args.Count switch
        {
            0 => new SharedList([]),
            1 => new SharedList(PyIteration.ToList(args[0], context)),
            _ => throw PyErrors.TypeError($"list expected at most 1 argument, got {args.Count}"),
        };
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (name == "sort")
        {
            Sort(s_sort.Bind(args, kwargs));
            return null;
        }

        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"{name}() takes no keyword arguments");
        }

        // Copy proxies of this server's containers before taking the lock (see PyIteration.Materialize).
        if (name is "extend" or "__setitem__" && args.Count > 0)
        {
            var items = args.ToArray();
            items[^1] = PyIteration.Materialize(items[^1], context);
            args = new PyTuple(items);
        }

        lock (_items)
        {
            return name switch
            {
                "__getitem__" => GetItem(Arg(name, args, 1)[0]),
                "__setitem__" => SetItem(Arg(name, args, 2), context),
                "__delitem__" => DelItem(Arg(name, args, 1)[0]),
                "__len__" => (long)NoArg(name, args, _items.Count),
                "__contains__" => IndexOf(Arg(name, args, 1)[0], 0, _items.Count) >= 0,
                "__add__" => Add(Arg(name, args, 1)[0]),
                "__mul__" or "__rmul__" => Repeat(Arg(name, args, 1)[0]),
                "__imul__" => InPlaceRepeat(Arg(name, args, 1)[0]),
                "__reversed__" => NoArg(name, args, Reversed()),
                "append" => Append(Arg(name, args, 1)[0]),
                "extend" => Extend(Arg(name, args, 1)[0], context),
                "insert" => Insert(Arg(name, args, 2)),
                "pop" => Pop(args),
                "remove" => Remove(Arg(name, args, 1)[0]),
                "index" => Index(args),
                "count" => Count(Arg(name, args, 1)[0]),
                "reverse" => NoArg(name, args, Reverse()),
                "clear" => NoArg(name, args, Clear()),
                "copy" => NoArg(name, args, new List<object?>(_items)),
                _ => throw NoSuchMethod("list", name),
            };
        }
    }

    /// <summary>A copy for <c>#GETVALUE</c>, so pickling does not race with other clients.</summary>
    public override object? GetValue() => Snapshot();

    public override IEnumerable<string> PublicMethods() => Exposed;

    public override string Repr()
    {
        lock (_items)
        {
            return PyRepr.Repr(_items);
        }
    }

    public List<object?> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    private static ReadOnlySpan<object?> Arg(string name, PyTuple args, int count) => args.Count == count
        ? args.AsSpan()
        : throw PyErrors.TypeError(count == 1
            ? $"{name}() takes exactly one argument ({args.Count} given)"
            : $"{name} expected {count} arguments, got {args.Count}");

    private static T NoArg<T>(string name, PyTuple args, T result) => args.Count == 0
        ? result
        : throw PyErrors.TypeError($"{name}() takes no arguments ({args.Count} given)");

    private object? Append(object? value)
    {
        _items.Add(value);
        return null;
    }

    private object? Extend(object? iterable, SharedCallContext context)
    {
        _items.AddRange(PyIteration.ToList(iterable, context));
        return null;
    }

    private object? Clear()
    {
        _items.Clear();
        return null;
    }

    private object? Reverse()
    {
        _items.Reverse();
        return null;
    }

    /// <summary>What CPython sends for <c>reversed(list)</c>: a list_reverseiterator, pickled as <c>reversed(copy)</c> at the last index.</summary>
    private PyReduce Reversed() => _items.Count == 0
        ? new(new PyGlobal("builtins", "iter"), PyTuple.Create(new List<object?>()))
        : new(new PyGlobal("builtins", "reversed"), PyTuple.Create(new List<object?>(_items)), state: (long)_items.Count - 1);

    private long Count(object? value)
    {
        long n = 0;
        foreach (var item in _items)
        {
            if (PyObjectComparer.Python.Equals(item, value))
            {
                n++;
            }
        }

        return n;
    }

    private int IndexOf(object? value, int start, int stop)
    {
        for (var i = start; i < stop && i < _items.Count; i++)
        {
            if (PyObjectComparer.Python.Equals(_items[i], value))
            {
                return i;
            }
        }

        return -1;
    }

    private void Sort(object?[] a)
    {
        if (a[0] is not null)
        {
            throw PyErrors.NotImplementedError(
                $"sort(key={PyRepr.Repr(a[0])}): the C# manager server cannot call Python functions; sort with key=None, or sort a copy in the client");
        }

        var reverse = a[1] is bool b ? b : PyValues.AsIndex(a[1]) != 0;
        lock (_items)
        {
            // Sort a copy: a TypeError midway leaves the list as it was.
            var items = _items.ToArray();
            PyOrdering.Sort(items, reverse);
            _items.Clear();
            _items.AddRange(items);
        }
    }
}
