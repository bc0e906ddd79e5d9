using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// A shared object that lives in the hosting CPython: what <c>BaseManager.register('Foo', callable=Foo)</c> makes in
/// a manager served from .NET. The server keeps its refcount and exposed names like any referent; every method call
/// goes to Python (<c>getattr(obj, name)(*args, **kwargs)</c>) under the GIL. When the last reference goes, the Python
/// object is released.
/// </summary>
/// <param name="handle">The Python side's key for the object.</param>
/// <param name="publicMethods">What CPython's <c>public_methods(obj)</c> listed (the exposed names when the type id gave none).</param>
/// <param name="typeId">The type id it was made for: its <c>method_to_typeid</c> methods return new shared objects, kept in Python.</param>
/// <param name="host">The server's registry of Python type ids.</param>
internal sealed class PythonReferent(long handle, IReadOnlyList<string> publicMethods, string typeId, ManagerHost host)
    : ISharedObject, IDisposable
{
    private int _released;

    public long Handle { get; } = handle;

    /// <summary>Makes a referent from a Python reply <c>(handle, public_methods)</c>.</summary>
    public static PythonReferent FromReply(object? reply, string typeId, ManagerHost host)
    {
        if (reply is not PyTuple { Count: 2 } t || t[0] is not long handle || t[1] is not List<object?> methods)
        {
            throw new InvalidOperationException($"The Python side answered {PyRepr.Repr(reply)} where (handle, public_methods) was expected");
        }

        return new PythonReferent(handle, [.. methods.OfType<string>()], typeId, host);
    }

    public object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        // A method_to_typeid method's result stays in Python, as in CPython's server; the reply is its handle.
        string? resultTypeId = null;
        var keep = host.MethodToTypeid(typeId)?.TryGetValue(name, out resultTypeId) ?? false;
        var reply = PythonCallback.Invoke(new PyTuple("call", Handle, name, args, kwargs, keep));
        return keep ? FromReply(reply, resultTypeId!, host) : reply;
    }

    public object? GetValue() => PythonCallback.Invoke(PyTuple.Create("getvalue", Handle));

    public string Repr() => PythonCallback.Invoke(PyTuple.Create("repr", Handle)) as string ?? "<object>";

    public string Str() => PythonCallback.Invoke(PyTuple.Create("str", Handle)) as string ?? Repr();

    public IEnumerable<string> PublicMethods() => publicMethods;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0 && PythonCallback.IsInstalled)
        {
            try
            {
                PythonCallback.Invoke(PyTuple.Create("release", Handle));
            }
            catch (Exception e) when (e is PyRaisedException or InvalidOperationException)
            {
                // The interpreter is going away: its table goes with it.
            }
        }
    }
}
