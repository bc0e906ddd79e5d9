using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// What a <c>multiprocess</c> manager (dill's pure-Python pickler) sends differently from CPython's: builtin types
/// by name through <c>dill._dill._load_type('ValueError')</c>, and dict views (which stdlib managers turn into
/// lists: <c>builtins.list([...])</c>) as <c>dict.keys(d)</c> rebuilt through <c>dill._dill._getattr</c>. Read here
/// as their stdlib forms.
/// </summary>
internal static class DillForms
{
    private const string DillModule = "dill._dill";

    /// <summary>
    /// An exception whose class is <c>_load_type(name)</c> becomes <c>builtins.name(*args)</c>; one whose class dill
    /// pickled by value (<c>_create_type(type, name, bases, dict)</c>, e.g. a class of <c>__main__</c>) is named after
    /// that class (<c>dict['__module__']</c>.name).
    /// </summary>
    public static object? NormalizeException(object? value)
    {
        if (value is not PyReduce { Kind: PyReduceKind.Reduce } r || value is PyException)
        {
            return value;
        }

        if (TryLoadType(r.Callable, out var name))
        {
            return new PyException(new PyGlobal("builtins", name), r.Args, r.State);
        }

        if (r.Callable is PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal create, Args: { Count: 4 } typeArgs }
            && create.Is(DillModule, "_create_type") && typeArgs[1] is string className)
        {
            var module = typeArgs[3] is PyDict members && members.Get("__module__") is string m ? m : "__main__";
            return new PyException(new PyGlobal(module, className), r.Args, r.State);
        }

        return value;
    }

    /// <summary>A list, or a dill-pickled <c>dict.keys(d)</c> / <c>values</c> / <c>items</c> as the list a stdlib manager sends.</summary>
    public static List<object?> AsList(object? value)
    {
        switch (value)
        {
            case List<object?> list:
                return list;
            case PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal g, Args: { Count: 1 } a } when g.Is("builtins", "list") && a[0] is List<object?> items:
                return items; // managers.py rebuild_as_list: dict views travel as list(view)
            case PyReduce { Kind: PyReduceKind.Reduce, Args: { Count: 1 } args, Callable: PyReduce { Callable: PyGlobal getattr, Args: { Count: >= 2 } getattrArgs } }
                when getattr.Is(DillModule, "_getattr") && TryLoadType(getattrArgs[0], out var type) && type == "dict" && args[0] is PyDict dict:
                return getattrArgs[1] switch
                {
                    "keys" => [.. dict.Keys],
                    "values" => [.. dict.Values],
                    "items" => dict.Select(kv => (object?)PyTuple.Create(kv.Key, kv.Value)).ToList(),
                    var other => throw new NotSupportedException($"dict.{other} is not a dict view"),
                };
            default:
                throw new InvalidCastException($"Expected a list from the manager, got {PyRepr.Repr(value)}");
        }
    }

    private static bool TryLoadType(object? callable, out string name)
    {
        if (callable is PyReduce { Kind: PyReduceKind.Reduce, Callable: PyGlobal g, Args: { Count: 1 } a } && g.Is(DillModule, "_load_type") && a[0] is string s)
        {
            name = s;
            return true;
        }

        name = "";
        return false;
    }
}
