using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>dict</c> (type id <c>dict</c>, DictProxy): a <see cref="PyDict"/> (Python key semantics and insertion order)
/// behind a lock. <c>__iter__</c> returns a <see cref="SharedIterator"/>, which the server turns into an
/// <c>Iterator</c> proxy (method_to_typeid). Views (<c>keys()</c>, <c>values()</c>, <c>items()</c>) are sent as lists,
/// as multiprocessing's pickler does.
/// </summary>
internal sealed partial class SharedDict : Referent, IIterableReferent
{
    /// <summary>DictProxy's exposed names (multiprocess adds <c>has_key</c>, which Python 3 dicts lack).</summary>
    public static readonly string[] Exposed =
    [
        "__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear", "copy", "get",
        "has_key", "items", "keys", "pop", "popitem", "setdefault", "update", "values",
    ];

    private static readonly PySignature s_setitem = new("__setitem__", ["key", "value"], [PySignature.Required, PySignature.Required], positionalOnly: true);
    private static readonly PySignature s_get = new("get", ["key", "default"], [PySignature.Required, null], positionalOnly: true);
    private static readonly PySignature s_setdefault = new("setdefault", ["key", "default"], [PySignature.Required, null], positionalOnly: true);
    private static readonly object s_missing = new();

    private readonly PyDict _dict;

    public SharedDict(PyDict dict) => _dict = dict;

    internal object Gate => _dict;

    internal int Count
    {
        get
        {
            lock (_dict)
            {
                return _dict.Count;
            }
        }
    }

    /// <summary><c>dict(*args, **kwargs)</c>.</summary>
    public static SharedDict Create(PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        var dict = new PyDict();
        if (args.Count > 1)
        {
            throw PyErrors.TypeError($"dict expected at most 1 argument, got {args.Count}");
        }

        if (args.Count == 1)
        {
            Update(dict, args[0], context, "dict");
        }

        foreach (var (k, v) in kwargs)
        {
            Set(dict, k, v);
        }

        return new SharedDict(dict);
    }

    public override bool HasMethod(string name) => name != "has_key";

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "__getitem__":
                var key = DictKeys.Check(OneArg(name, args, kwargs));
                lock (_dict)
                {
                    return TryGet(_dict, key, out var value) ? value : throw PyErrors.KeyError(key);
                }

            case "__setitem__":
                var kv = default(Arguments); // bound on the stack: no allocation per call
                s_setitem.Bind(args, kwargs, kv);
                lock (_dict)
                {
                    Set(_dict, kv[0], kv[1]);
                }

                return null;
            case "__delitem__":
                var dk = DictKeys.Check(OneArg(name, args, kwargs));
                lock (_dict)
                {
                    return Remove(_dict, dk, out _) ? null : throw PyErrors.KeyError(dk);
                }

            case "__contains__":
                var ck = DictKeys.Check(OneArg(name, args, kwargs));
                lock (_dict)
                {
                    return TryGet(_dict, ck, out _);
                }

            case "__len__":
                NoArgs(name, args, kwargs);
                return (long)Count;
            case "__iter__":
                NoArgs(name, args, kwargs);
                return new SharedIterator(this);
            case "get":
                var g = default(Arguments);
                s_get.Bind(args, kwargs, g);
                lock (_dict)
                {
                    return TryGet(_dict, DictKeys.Check(g[0]), out var value) ? value : g[1];
                }

            case "setdefault":
                var sd = s_setdefault.Bind(args, kwargs);
                lock (_dict)
                {
                    if (TryGet(_dict, DictKeys.Check(sd[0]), out var existing))
                    {
                        return existing;
                    }

                    Set(_dict, sd[0], sd[1]);
                    return sd[1];
                }

            case "pop":
                return Pop(args, kwargs);
            case "popitem":
                NoArgs(name, args, kwargs);
                return PopItem();
            case "clear":
                NoArgs(name, args, kwargs);
                lock (_dict)
                {
                    _dict.Clear();
                }

                return null;
            case "copy":
                NoArgs(name, args, kwargs);
                return Copy();
            case "keys":
                NoArgs(name, args, kwargs);
                return new DictView("dict_keys", Snapshot());
            case "values":
                NoArgs(name, args, kwargs);
                lock (_dict)
                {
                    return new DictView("dict_values", _dict.Values);
                }

            case "items":
                NoArgs(name, args, kwargs);
                return new DictView("dict_items", Items());
            case "update":
                if (args.Count > 1)
                {
                    throw PyErrors.TypeError($"update expected at most 1 argument, got {args.Count}");
                }

                var other = args.Count == 1 ? PyIteration.Materialize(args[0], context) : null;
                lock (_dict)
                {
                    if (args.Count == 1)
                    {
                        Update(_dict, other, context, "dictionary update");
                    }

                    foreach (var (k, v) in kwargs)
                    {
                        Set(_dict, k, v);
                    }
                }

                return null;
            default:
                return CallMethod314(name, args, kwargs, context);
        }
    }

    /// <summary>The dict itself for <c>#GETVALUE</c>: a copy, so pickling does not race with other clients.</summary>
    public override object? GetValue() => Copy();

    public override IEnumerable<string> PublicMethods() => Exposed;

    public override string Repr()
    {
        lock (_dict)
        {
            return PyRepr.Repr(_dict);
        }
    }

    public List<object?> Snapshot()
    {
        lock (_dict)
        {
            return new List<object?>(_dict.Keys);
        }
    }

    /// <summary>Python's lookup; a key the dict cannot hash is a TypeError, as in Python.</summary>
    internal static bool TryGet(PyDict dict, object? key, out object? value)
    {
        try
        {
            return dict.TryGetValue(key, out value);
        }
        catch (UnhashableException e)
        {
            throw PyErrors.TypeError(e.PythonMessage);
        }
    }

    private static void Set(PyDict dict, object? key, object? value)
    {
        DictKeys.Check(key);
        try
        {
            dict[key] = value;
        }
        catch (UnhashableException e)
        {
            throw PyErrors.TypeError(e.PythonMessage);
        }
    }

    private static bool Remove(PyDict dict, object? key, out object? value)
    {
        try
        {
            return dict.Remove(key, out value);
        }
        catch (UnhashableException e)
        {
            throw PyErrors.TypeError(e.PythonMessage);
        }
    }

    private static object? OneArg(string name, PyTuple args, PyDict kwargs)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"{name}() takes no keyword arguments");
        }

        return args.Count == 1 ? args[0] : throw PyErrors.TypeError($"{name}() takes exactly one argument ({args.Count} given)");
    }

    private static void NoArgs(string name, PyTuple args, PyDict kwargs)
    {
        if (args.Count != 0 || kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"{name}() takes no arguments ({args.Count + kwargs.Count} given)");
        }
    }
}
