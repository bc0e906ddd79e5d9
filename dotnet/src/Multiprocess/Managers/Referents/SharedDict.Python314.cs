using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>What CPython 3.14's DictProxy adds: the <c>|</c> operators, <c>reversed()</c> and <c>fromkeys</c>.</summary>
internal sealed partial class SharedDict
{
    /// <summary>CPython 3.14's DictProxy exposed names (<c>has_key</c> stays: multiprocess's proxies send it).</summary>
    public static readonly string[] Exposed314 =
    [
        "__contains__", "__delitem__", "__getitem__", "__ior__", "__iter__", "__len__", "__or__", "__reversed__",
        "__ror__", "__setitem__", "clear", "copy", "fromkeys", "get", "has_key", "items", "keys", "pop", "popitem",
        "setdefault", "update", "values",
    ];

    private static readonly PySignature s_fromkeys = new("fromkeys", ["iterable", "value"], [PySignature.Required, null], positionalOnly: true);

    /// <summary>The 3.14 methods; anything else is the AttributeError CPython's getattr raises.</summary>
    private object? CallMethod314(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "__or__":
            {
                // dict | other: only with a dict; anything else is NotImplemented (the client then tries other.__ror__).
                if (PyIteration.Materialize(OneArg(name, args, kwargs), context) is not PyDict other)
                {
                    return PySingleton.NotImplemented;
                }

                var result = Copy();
                Update(result, other, context, "dict");
                return result;
            }

            case "__ror__":
            {
                if (PyIteration.Materialize(OneArg(name, args, kwargs), context) is not PyDict other)
                {
                    return PySingleton.NotImplemented;
                }

                var result = new PyDict();
                Update(result, other, context, "dict");
                Update(result, Copy(), context, "dict");
                return result;
            }

            case "__ior__":
            {
                // d |= other takes what update() takes; CPython's server then returns (pickles) the dict itself.
                var other = PyIteration.Materialize(OneArg(name, args, kwargs), context);
                lock (_dict)
                {
                    Update(_dict, other, context, "dictionary update");
                }

                return Copy();
            }

            case "__reversed__":
                NoArgs(name, args, kwargs);
                var keys = Snapshot();
                keys.Reverse();

                // A dict_reversekeyiterator pickles as iter(list of the remaining keys).
                return new PyReduce(new PyGlobal("builtins", "iter"), PyTuple.Create(keys));
            case "fromkeys":
            {
                var a = s_fromkeys.Bind(args, kwargs);
                var result = new PyDict();
                foreach (var key in PyIteration.ToList(PyIteration.Materialize(a[0], context), context))
                {
                    Set(result, key, a[1]);
                }

                return result;
            }

            default:
                throw NoSuchMethod("dict", name);
        }
    }
}
