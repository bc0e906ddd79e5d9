using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Protocol;

/// <summary>
/// A manager request, <c>(ident, methodname, args, kwds)</c> (docs/protocols.md §3.2–3.3): on a one-shot
/// connection ident is ignored (<c>None</c>) and methodname names a public function of the server
/// (<c>Server._handle_request</c>); on a proxy's connection ident is the shared object's id (<c>serve_client</c>).
/// </summary>
/// <param name="Ident">The object's id, or <c>None</c>.</param>
/// <param name="Method">The method or function name (a str on a well-formed request).</param>
/// <param name="Args">The positional arguments.</param>
/// <param name="Kwargs">The keyword arguments.</param>
internal readonly record struct ManagerRequest(object? Ident, object? Method, PyTuple Args, PyDict Kwargs)
{
    /// <summary>The method name whose fallback returns a copy of the referent (<c>BaseProxy._getvalue</c>).</summary>
    public const string GetValue = "#GETVALUE";

    private static readonly PyDict s_noKeywords = new();

    /// <summary>Gets an empty kwds dict for requests (never mutated: only pickled).</summary>
    public static PyDict NoKeywords => s_noKeywords;

    /// <summary>Returns the tuple the client pickles (managers.py <c>c.send((id, methodname, args, kwds))</c>).</summary>
    public PyTuple ToPython() => PyTuple.Create(Ident, Method, Args, Kwargs);

    /// <summary>
    /// Reads an unpickled request as the server does: <c>ignore, funcname, args, kwds = request</c>, then
    /// <c>func(*args, **kwds)</c>'s argument checks, raising the TypeError or ValueError CPython would.
    /// </summary>
    /// <exception cref="PyRaisedException">The request is not a 4-item sequence, or args/kwds have the wrong type.</exception>
    public static ManagerRequest FromPython(object? request)
    {
        ReadOnlySpan<object?> items = request switch
        {
            PyTuple t => t.AsSpan(),
            List<object?> l => l.ToArray(),
            _ => throw PyErrors.TypeError($"cannot unpack non-iterable {PyRepr.TypeName(request)} object"),
        };
        if (items.Length != 4)
        {
            throw PyErrors.ValueError(items.Length < 4
                ? $"not enough values to unpack (expected 4, got {items.Length})"
                : "too many values to unpack (expected 4)");
        }

        var args = items[2] switch
        {
            PyTuple t => t,
            List<object?> l => new PyTuple([.. l]),
            var other => throw PyErrors.TypeError($"argument after * must be an iterable, not {PyRepr.TypeName(other)}"),
        };
        var kwargs = items[3] switch
        {
            PyDict d => d,
            var other => throw PyErrors.TypeError($"argument after ** must be a mapping, not {PyRepr.TypeName(other)}"),
        };
        return new ManagerRequest(items[0], items[1], args, kwargs);
    }
}
