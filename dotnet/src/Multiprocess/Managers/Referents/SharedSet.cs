using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>set</c> (type id <c>set</c>, CPython 3.14's SetProxy): a <see cref="PySet"/> behind a lock, with the methods and
/// operators SetProxy exposes. Operators given something other than a set or frozenset return
/// <c>NotImplemented</c>, as <c>set.__or__(s, other)</c> does in CPython's server, so the client's Python falls back
/// to the reflected operator. <c>__iter__</c> sends what a pickled set_iterator is: <c>iter(list)</c>.
/// </summary>
internal sealed class SharedSet : Referent, IIterableReferent
{
    /// <summary>SetProxy's <c>_exposed_</c> (Lib/multiprocessing/managers.py, 3.14).</summary>
    public static readonly string[] Exposed =
    [
        "__and__", "__class_getitem__", "__contains__", "__iand__", "__ior__", "__isub__", "__iter__", "__ixor__",
        "__len__", "__or__", "__rand__", "__ror__", "__rsub__", "__rxor__", "__sub__", "__xor__", "__ge__", "__gt__",
        "__le__", "__lt__", "add", "clear", "copy", "difference", "difference_update", "discard", "intersection",
        "intersection_update", "isdisjoint", "issubset", "issuperset", "pop", "remove", "symmetric_difference",
        "symmetric_difference_update", "union", "update",
    ];

    private readonly PySet _set;

    public SharedSet(PySet set) => _set = set;

    /// <summary><c>set(iterable=())</c>.</summary>
    public static SharedSet Create(PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError("set() takes no keyword arguments");
        }

        return args.Count switch
        {
            0 => new SharedSet([]),
            1 => new SharedSet(NewSet(PyIteration.ToList(args[0], context))),
            _ => throw PyErrors.TypeError($"set expected at most 1 argument, got {args.Count}"),
        };
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"set.{name}() takes no keyword arguments");
        }

        if (name == "__class_getitem__")
        {
            // set[int]: a types.GenericAlias, which pickles as GenericAlias(set, args).
            var item = Arg(name, args);
            return new PyReduce(new PyGlobal("types", "GenericAlias"), PyTuple.Create(new PyGlobal("builtins", "set"), item));
        }

        // Other containers of this server become copies before the lock is taken (see PyIteration.Materialize).
        var items = args.ToArray();
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = PyIteration.Materialize(items[i], context);
        }

        args = new PyTuple(items);
        lock (_set)
        {
            return name switch
            {
                "__len__" => NoArg(name, args, (long)_set.Count),
                "__contains__" => Contains(Arg(name, args)),
                "__iter__" => NoArg(name, args, new PyReduce(new PyGlobal("builtins", "iter"), PyTuple.Create(new List<object?>(_set)))),
                "__or__" => Binary(Arg(name, args), o => Union(_set, o)),
                "__ror__" => Binary(Arg(name, args), o => Union(o, _set)),
                "__and__" => Binary(Arg(name, args), o => Intersection(_set, o)),
                "__rand__" => Binary(Arg(name, args), o => Intersection(o, _set)),
                "__sub__" => Binary(Arg(name, args), o => Difference(_set, o)),
                "__rsub__" => Binary(Arg(name, args), o => Difference(o, _set)),
                "__xor__" => Binary(Arg(name, args), o => SymmetricDifference(_set, o)),
                "__rxor__" => Binary(Arg(name, args), o => SymmetricDifference(o, _set)),
                "__ior__" => InPlace(Arg(name, args), _set.UnionWith),
                "__iand__" => InPlace(Arg(name, args), _set.IntersectWith),
                "__isub__" => InPlace(Arg(name, args), _set.ExceptWith),
                "__ixor__" => InPlace(Arg(name, args), _set.SymmetricExceptWith),
                "__le__" => Binary(Arg(name, args), o => _set.IsSubsetOf(o)),
                "__lt__" => Binary(Arg(name, args), o => _set.IsProperSubsetOf(o)),
                "__ge__" => Binary(Arg(name, args), o => _set.IsSupersetOf(o)),
                "__gt__" => Binary(Arg(name, args), o => _set.IsProperSupersetOf(o)),
                "add" => Add(Arg(name, args)),
                "clear" => NoArg<object?>(name, args, Clear()),
                "copy" => NoArg(name, args, NewSet(_set)),
                "discard" => Discard(Arg(name, args)),
                "remove" => Remove(Arg(name, args)),
                "pop" => NoArg(name, args, Pop()),
                "union" => Fold(args, context, NewSet(_set), (s, o) => s.UnionWith(o)),
                "intersection" => Fold(args, context, NewSet(_set), (s, o) => s.IntersectWith(o)),
                "difference" => Fold(args, context, NewSet(_set), (s, o) => s.ExceptWith(o)),
                "symmetric_difference" => SymmetricDifference(_set, Iterable(Arg(name, args), context)),
                "update" => Updated(Fold(args, context, _set, (s, o) => s.UnionWith(o))),
                "intersection_update" => Updated(Fold(args, context, _set, (s, o) => s.IntersectWith(o))),
                "difference_update" => Updated(Fold(args, context, _set, (s, o) => s.ExceptWith(o))),
                "symmetric_difference_update" => Updated(SymmetricUpdate(Iterable(Arg(name, args), context))),
                "isdisjoint" => !_set.Overlaps(Iterable(Arg(name, args), context)),
                "issubset" => _set.IsSubsetOf(Iterable(Arg(name, args), context)),
                "issuperset" => _set.IsSupersetOf(Iterable(Arg(name, args), context)),
                _ => throw NoSuchMethod("set", name),
            };
        }
    }

    public override bool HasMethod(string name) => Array.IndexOf(Exposed, name) >= 0;

    /// <summary>A copy for <c>#GETVALUE</c>, so pickling does not race with other clients.</summary>
    public override object? GetValue()
    {
        lock (_set)
        {
            return NewSet(_set);
        }
    }

    public override IEnumerable<string> PublicMethods() => Exposed;

    public List<object?> Snapshot()
    {
        lock (_set)
        {
            return [.. _set];
        }
    }

    public override string Repr()
    {
        lock (_set)
        {
            return PyRepr.Repr(_set);
        }
    }

    /// <summary>A set of <paramref name="items"/>; an unhashable item is Python's TypeError.</summary>
    private static PySet NewSet(IEnumerable<object?> items)
    {
        var set = new PySet();
        foreach (var item in items)
        {
            Hashable(item);
            set.Add(item);
        }

        return set;
    }

    private static object? Hashable(object? item)
    {
        try
        {
            return DictKeys.Check(item);
        }
        catch (UnhashableException e)
        {
            throw PyErrors.TypeError(e.PythonMessage);
        }
    }

    private static object? Arg(string name, PyTuple args) => args.Count == 1
        ? args[0]
        : throw PyErrors.TypeError($"set.{name}() takes exactly one argument ({args.Count} given)");

    private static T NoArg<T>(string name, PyTuple args, T result) => args.Count == 0
        ? result
        : throw PyErrors.TypeError($"set.{name}() takes no arguments ({args.Count} given)");

    /// <summary>An operator's other operand must be a set or frozenset; anything else is <c>NotImplemented</c>.</summary>
    private static object? Binary(object? other, Func<PySetBase, object?> op) =>
        other is PySetBase set ? op(set) : PySingleton.NotImplemented;

    /// <summary><c>s |= other</c> and friends: CPython's server returns the set itself, pickled.</summary>
    private object? InPlace(object? other, Action<IEnumerable<object?>> op)
    {
        if (other is not PySetBase set)
        {
            return PySingleton.NotImplemented;
        }

        op(set);
        return NewSet(_set);
    }

    private static PySet Union(IEnumerable<object?> a, IEnumerable<object?> b)
    {
        var result = NewSet(a);
        result.UnionWith(b);
        return result;
    }

    private static PySet Intersection(IEnumerable<object?> a, PySetBase b)
    {
        var result = new PySet();
        foreach (var item in a)
        {
            if (b.Contains(item))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static PySet Difference(IEnumerable<object?> a, PySetBase b)
    {
        var result = new PySet();
        foreach (var item in a)
        {
            if (!b.Contains(item))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static PySet SymmetricDifference(IEnumerable<object?> a, IEnumerable<object?> b)
    {
        var result = NewSet(a);
        result.SymmetricExceptWith(NewSet(b));
        return result;
    }

    /// <summary>The items of a method argument (any iterable); hashability is checked item by item.</summary>
    private static List<object?> Iterable(object? value, SharedCallContext context)
    {
        var items = PyIteration.ToList(value, context);
        foreach (var item in items)
        {
            Hashable(item);
        }

        return items;
    }

    /// <summary><c>union(*others)</c> and the like: each argument in turn.</summary>
    private static PySet Fold(PyTuple args, SharedCallContext context, PySet into, Action<PySet, IEnumerable<object?>> op)
    {
        foreach (var other in args)
        {
            op(into, Iterable(other, context));
        }

        return into;
    }

    private static object? Updated(PySet _) => null;

    private PySet SymmetricUpdate(IEnumerable<object?> other)
    {
        _set.SymmetricExceptWith(NewSet(other));
        return _set;
    }

    private bool Contains(object? item) =>
        _set.Contains(item is PySet s ? new PyFrozenSet(s) : Hashable(item));

    private object? Add(object? item)
    {
        _set.Add(Hashable(item));
        return null;
    }

    private object? Clear()
    {
        _set.Clear();
        return null;
    }

    private object? Discard(object? item)
    {
        _set.Remove(item is PySet s ? new PyFrozenSet(s) : Hashable(item));
        return null;
    }

    private object? Remove(object? item)
    {
        var key = item is PySet s ? new PyFrozenSet(s) : Hashable(item);
        return _set.Remove(key) ? null : throw new PyRaisedException(PyException.Builtin("KeyError", item));
    }

    private object? Pop()
    {
        foreach (var item in _set)
        {
            _set.Remove(item);
            return item;
        }

        throw new PyRaisedException(PyException.Builtin("KeyError", "pop from an empty set"));
    }
}
