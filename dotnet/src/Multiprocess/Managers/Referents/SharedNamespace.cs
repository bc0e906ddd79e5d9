using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>multiprocessing.managers.Namespace(**kwds)</c> (type id <c>Namespace</c>, NamespaceProxy): attributes in
/// insertion order; <c>__getattribute__</c>, <c>__setattr__</c>, <c>__delattr__</c>. Its repr lists the public
/// attributes sorted, as CPython's.
/// </summary>
internal sealed class SharedNamespace : Referent
{
    public static readonly string[] Exposed = ["__getattribute__", "__setattr__", "__delattr__"];

    private static readonly PyGlobal s_class = new("multiprocessing.managers", "Namespace");

    private readonly PyDict _attributes = new();

    public static SharedNamespace Create(PyTuple args, PyDict kwargs)
    {
        if (args.Count != 0)
        {
            throw PyErrors.TypeError($"Namespace.__init__() takes 1 positional argument but {args.Count + 1} were given");
        }

        var ns = new SharedNamespace();
        foreach (var (k, v) in kwargs)
        {
            ns._attributes[k] = v;
        }

        return ns;
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError($"{name}() takes no keyword arguments");
        }

        switch (name)
        {
            case "__getattribute__":
                return GetAttribute(Name(name, args, 1));
            case "__setattr__":
                var set = Name(name, args, 2);
                lock (_attributes)
                {
                    _attributes[set] = args[1];
                }

                return null;
            case "__delattr__":
                var del = Name(name, args, 1);
                lock (_attributes)
                {
                    return _attributes.Remove(del) ? null : throw Missing(del);
                }

            default:
                throw NoSuchMethod("Namespace", name);
        }
    }

    /// <summary>The Namespace object itself, as CPython pickles it: the class, then its <c>__dict__</c>.</summary>
    public override object? GetValue() => PyReduce.NewObj(s_class, state: Copy());

    public override IEnumerable<string> PublicMethods() => [];

    public override string Repr()
    {
        var parts = new List<string>();
        lock (_attributes)
        {
            foreach (var (k, v) in _attributes)
            {
                if (k is string s && !s.StartsWith('_'))
                {
                    parts.Add($"{s}={PyRepr.Repr(v)}");
                }
            }
        }

        parts.Sort(CodePoints.Compare);
        return $"Namespace({string.Join(", ", parts)})";
    }

    private static string Name(string method, PyTuple args, int count)
    {
        if (args.Count != count)
        {
            throw PyErrors.TypeError($"expected {count} argument{(count == 1 ? "" : "s")}, got {args.Count}");
        }

        return args[0] as string ?? throw PyErrors.TypeError($"attribute name must be string, not '{PyRepr.TypeName(args[0])}'");
    }

    private static PyRaisedException Missing(string name) => PyErrors.AttributeError($"'Namespace' object has no attribute '{name}'");

    private object? GetAttribute(string name)
    {
        lock (_attributes)
        {
            if (_attributes.TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return name switch
        {
            "__dict__" => Copy(),
            "__class__" => s_class,
            "__module__" => s_class.Module,
            "__doc__" => null,
            _ => throw Missing(name),
        };
    }

    private PyDict? Copy()
    {
        lock (_attributes)
        {
            if (_attributes.Count == 0)
            {
                return null;
            }

            var copy = new PyDict(_attributes.Count);
            foreach (var (k, v) in _attributes)
            {
                copy[k] = v;
            }

            return copy;
        }
    }
}
