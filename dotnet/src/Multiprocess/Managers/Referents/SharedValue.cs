using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>multiprocessing.managers.Value(typecode, value, lock=True)</c> (type id <c>Value</c>, ValueProxy): a plain
/// holder, as CPython's; the typecode is kept for the repr only (no range checks, any value).
/// </summary>
internal sealed class SharedValue : Referent
{
    public static readonly string[] Exposed = ["get", "set"];

    private static readonly PySignature s_init = new("Value", ["typecode", "value", "lock"], [PySignature.Required, PySignature.Required, true]);
    private static readonly PySignature s_set = new("set", ["value"], [PySignature.Required]);
    private static readonly PySignature s_get = PySignature.None("get");
    private static readonly PyGlobal s_class = new("multiprocessing.managers", "Value");

    private readonly object _gate = new();
    private readonly object? _typecode;
    private object? _value;

    private SharedValue(object? typecode, object? value)
    {
        _typecode = typecode;
        _value = value;
    }

    public static SharedValue Create(PyTuple args, PyDict kwargs)
    {
        var a = s_init.Bind(args, kwargs);
        return new SharedValue(a[0], a[1]);
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "get":
                s_get.BindNone(args, kwargs);
                lock (_gate)
                {
                    return _value;
                }

            case "set":
                var v = s_set.Bind(args, kwargs)[0];
                lock (_gate)
                {
                    _value = v;
                }

                return null;
            default:
                throw NoSuchMethod("Value", name);
        }
    }

    /// <summary>The Value object, as CPython pickles it: the class, then <c>{'_typecode': ..., '_value': ...}</c>.</summary>
    public override object? GetValue()
    {
        lock (_gate)
        {
            return PyReduce.NewObj(s_class, state: new PyDict { ["_typecode"] = _typecode, ["_value"] = _value });
        }
    }

    public override IEnumerable<string> PublicMethods() => Exposed;

    public override string Repr()
    {
        lock (_gate)
        {
            return $"Value({PyRepr.Repr(_typecode)}, {PyRepr.Repr(_value)})";
        }
    }
}
