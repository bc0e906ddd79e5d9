using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// A shared object (CPython's "referent") that Python clients call through a proxy: the server looks up the method a
/// request names and calls <see cref="CallMethod"/> on the thread serving that client's connection. Implement it
/// for full control over a type id registered with <see cref="SyncManagerServer.Register"/>; plain C# objects are
/// wrapped automatically (their public methods are called by reflection).
/// </summary>
/// <remarks>
/// Exceptions a method throws travel to the client as <c>('#ERROR', exception)</c>: throw
/// <see cref="PyRaisedException"/> with a <see cref="PyException"/> to choose the Python class (e.g.
/// <c>PyException.Builtin("KeyError", key)</c>); other .NET exceptions are mapped by
/// <see cref="PyException.FromException"/> (KeyNotFoundException → KeyError, ArgumentException → ValueError, ...).
/// Several clients may call one object at once: implementations must be thread-safe.
/// </remarks>
public interface ISharedObject
{
    /// <summary>Returns whether the object has a method of this name (Python's <c>getattr</c> succeeding).</summary>
    /// <param name="name">The method name from the request.</param>
    /// <returns>False makes the call fail as CPython's server does when <c>getattr</c> raises (a remote AttributeError).</returns>
    bool HasMethod(string name) => true;

    /// <summary>Calls a method: <c>getattr(obj, name)(*args, **kwargs)</c>.</summary>
    /// <param name="name">The method name (one of the exposed names).</param>
    /// <param name="args">Positional arguments, as unpickled.</param>
    /// <param name="kwargs">Keyword arguments, as unpickled.</param>
    /// <param name="context">The calling client's connection (for blocking calls and ownership).</param>
    /// <returns>The result, pickled back to the client (or made a proxy through method_to_typeid).</returns>
    /// <exception cref="PyRaisedException">A Python exception for the client.</exception>
    object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context);

    /// <summary>Returns the value a proxy's <c>_getvalue()</c> receives (<c>'#GETVALUE'</c>); by default the object itself.</summary>
    /// <returns>A picklable value.</returns>
    object? GetValue() => this;

    /// <summary>Returns Python's <c>repr()</c> of the object (the proxy's <c>__repr__</c>/<c>__str__</c> and <c>debug_info</c>).</summary>
    /// <returns>The text.</returns>
    string Repr() => $"<{GetType().Name} object>";

    /// <summary>Returns Python's <c>str()</c> of the object; by default its repr.</summary>
    /// <returns>The text.</returns>
    string Str() => Repr();

    /// <summary>Returns the method names CPython's <c>public_methods()</c> would list, used when a type id is registered without <c>exposed</c>.</summary>
    /// <returns>The names.</returns>
    IEnumerable<string> PublicMethods() => [];
}
