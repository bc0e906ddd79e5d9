using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>How a proxy travels in a pickle (CPython's <c>BaseProxy.__reduce__</c>).</summary>
public abstract partial class BaseProxy
{
    /// <summary>Gets the Python proxy class this proxy is pickled as (for <see cref="ToString"/>).</summary>
    internal string PythonClassName => _pythonClass?.Name ?? PythonProxyClass ?? $"AutoProxy[{Token.TypeId}]";

    /// <summary>
    /// Returns <c>(RebuildProxy, (func, token, 'pickle', kwds))</c>: func is the proxy class (or the
    /// <c>AutoProxy</c> function, with <c>{'exposed': …}</c> in kwds), as <c>BaseProxy.__reduce__</c> writes outside
    /// a spawn (no authkey in kwds: the receiver uses its own, as Python's does).
    /// </summary>
    /// <returns>The reduce value.</returns>
    public PyReduce ToPython()
    {
        var func = _pythonClass ?? ManagerModules.Global(Manager.Options.Library, PythonProxyClass ?? "AutoProxy");
        var library = func.Module == ManagerModules.Multiprocess ? ManagerLibrary.Multiprocess : Manager.Options.Library;
        var kwds = new PyDict();
        if (func.Name == "AutoProxy")
        {
            kwds["exposed"] = ExposedTuple ?? PyTuple.Empty;
        }

        return new PyReduce(
            ManagerModules.Global(library, "RebuildProxy"),
            PyTuple.Create(func, Token.ToPython(library), "pickle", kwds));
    }
}
