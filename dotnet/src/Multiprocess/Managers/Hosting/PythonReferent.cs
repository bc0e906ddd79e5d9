using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// A shared object that lives in a Python interpreter: a <c>Pool</c>, its AsyncResults and iterators, a Barrier's
/// action, what a callable registered with <c>BaseManager.register</c> made. The server keeps its refcount and exposed
/// names like any referent; every method call goes to Python (<c>getattr(obj, name)(*args, **kwargs)</c>) through an
/// <see cref="IPythonRunner"/>. When the last reference goes, the Python object is released.
/// </summary>
/// <param name="runner">The interpreter that holds it.</param>
/// <param name="generation">Which incarnation of that interpreter: calls fail cleanly once it died.</param>
/// <param name="handle">The Python side's key for the object.</param>
/// <param name="publicMethods">What <c>public_methods(obj)</c> listed (the exposed names when the type id gave none).</param>
/// <param name="types">The server's Python type ids: their <c>method_to_typeid</c> methods return new Python-backed objects.</param>
/// <param name="typeId">The type id it was made for.</param>
internal sealed class PythonReferent(IPythonRunner runner, long generation, long handle, IReadOnlyList<string> publicMethods, PythonTypeIds types, string typeId)
    : ISharedObject, IKeptCallable
{
    private int _released;

    public long Handle { get; } = handle;

    public long Generation => generation;

    public string TypeId => typeId;

    /// <summary>Makes a referent from a Python reply <c>(handle, public_methods)</c>.</summary>
    public static PythonReferent FromReply(object? reply, IPythonRunner runner, long generation, PythonTypeIds types, string typeId)
    {
        if (reply is not PyTuple { Count: 2 } t || t[0] is not long handle || t[1] is not List<object?> methods)
        {
            throw new InvalidOperationException($"{runner.Description} answered {PyRepr.Repr(reply)} where (handle, public_methods) was expected");
        }

        return new PythonReferent(runner, generation, handle, [.. methods.OfType<string>()], types, typeId);
    }

    public object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        // A method_to_typeid method's result stays in Python, as in CPython's server; the reply is its handle.
        string? resultTypeId = null;
        var keep = types.MethodToTypeid(typeId)?.TryGetValue(name, out resultTypeId) ?? false;
        var g = generation;
        var reply = runner.Invoke(new PyTuple("call", Handle, name, args, kwargs, keep), context, ref g);
        return keep ? FromReply(reply, runner, g, types, resultTypeId!) : reply;
    }

    /// <summary>Calls the object itself: <c>obj()</c> (a Barrier's action).</summary>
    public object? Call(SharedCallContext? context) => Call([], context);

    /// <summary>Calls the object itself: <c>obj(*args)</c> (a served Pool's callback).</summary>
    public object? Call(object?[] args, SharedCallContext? context)
    {
        var g = generation;
        return runner.Invoke(new PyTuple("call", Handle, "__call__", new PyTuple(args), new PyDict(), false), context, ref g);
    }

    public object? GetValue() => Simple("getvalue");

    public string Repr() => Simple("repr") as string ?? "<object>";

    public string Str() => Simple("str") as string ?? Repr();

    public IEnumerable<string> PublicMethods() => publicMethods;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            try
            {
                Simple("release");
            }
            catch (Exception e) when (e is PyRaisedException or PythonHostLostException or InvalidOperationException or SessionAbortedException)
            {
                // The interpreter (or this incarnation of the host) is gone: its table went with it.
            }
        }
    }

    private object? Simple(string verb)
    {
        var g = generation;
        return runner.Invoke(PyTuple.Create(verb, Handle), null, ref g);
    }
}
