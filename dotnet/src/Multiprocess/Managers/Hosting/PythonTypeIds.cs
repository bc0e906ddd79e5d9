using System.Collections.Concurrent;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The type ids of one manager server whose objects Python makes and runs (<see cref="PythonReferent"/>), and the
/// interpreter that runs them. <paramref name="registry"/> is the key the Python side files the callables under
/// (the shim: one per server in its interpreter; a host process: 0).
/// </summary>
/// <param name="runner">The interpreter.</param>
/// <param name="registry">The Python side's registry key.</param>
internal sealed class PythonTypeIds(IPythonRunner runner, long registry)
{
    /// <summary>CPython's <c>PoolProxy._method_to_typeid_</c> (Lib/multiprocessing/managers.py).</summary>
    public static readonly IReadOnlyDictionary<string, string> PoolMethodToTypeid = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["apply_async"] = "AsyncResult",
        ["map_async"] = "AsyncResult",
        ["starmap_async"] = "AsyncResult",
        ["imap"] = "Iterator",
        ["imap_unordered"] = "Iterator",
    };

    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>?> _methodToTypeid = new(StringComparer.Ordinal);

    public IPythonRunner Runner => runner;

    /// <summary>Notes the <c>method_to_typeid</c> of a type id served by Python: those methods' results stay in Python
    /// (<see cref="PythonReferent.CallMethod"/>). The server registers the type id itself (<c>Server.RegisterPython</c>).</summary>
    public void SetMethodToTypeid(string typeId, IReadOnlyDictionary<string, string>? methodToTypeid) =>
        _methodToTypeid[typeId] = methodToTypeid;

    /// <summary>Makes an object of a Python type id: <c>registry[typeId](*args, **kwargs)</c> in Python.</summary>
    public PythonReferent Create(string typeId, PyTuple args, PyDict kwargs, SharedCallContext? context)
    {
        var generation = 0L;
        var reply = runner.Invoke(new PyTuple("create", registry, typeId, args, kwargs), context, ref generation);
        return PythonReferent.FromReply(reply, runner, generation, this, typeId);
    }

    /// <summary>Keeps a value in Python (a Barrier's action) and returns the referent standing for it.</summary>
    public PythonReferent Keep(object? value, SharedCallContext? context)
    {
        var generation = 0L;
        var reply = runner.Invoke(PyTuple.Create("keep", value), context, ref generation);
        return PythonReferent.FromReply(reply, runner, generation, this, "");
    }

    /// <summary>Returns the <c>method_to_typeid</c> of a Python type id, or null.</summary>
    public IReadOnlyDictionary<string, string>? MethodToTypeid(string typeId) =>
        _methodToTypeid.TryGetValue(typeId, out var map) ? map : null;
}
