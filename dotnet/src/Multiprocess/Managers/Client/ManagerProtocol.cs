using System.Diagnostics.CodeAnalysis;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// The manager's request and reply tuples (protocols.md §3.2–3.3) and CPython's <c>convert_to_error</c>.
/// </summary>
/// <remarks>
/// Request: <c>(ident, methodname, args: tuple, kwds: dict)</c>; ident is <c>None</c> for the public functions.
/// Reply: <c>(kind, result)</c> with kind one of <c>#RETURN</c>, <c>#ERROR</c> (an exception instance),
/// <c>#TRACEBACK</c> / <c>#UNSERIALIZABLE</c> (a str), <c>#PROXY</c> (<c>(exposed, token)</c>).
/// </remarks>
internal static class ManagerProtocol
{
    public const string Return = "#RETURN";
    public const string Error = "#ERROR";
    public const string Traceback = "#TRACEBACK";
    public const string Unserializable = "#UNSERIALIZABLE";
    public const string Proxy = "#PROXY";

    /// <summary>The method name whose fallback returns a copy of the referent (<c>BaseProxy._getvalue</c>).</summary>
    public const string GetValue = "#GETVALUE";

    private static readonly PyDict s_noKeywords = new();

    /// <summary>An empty kwds dict for requests (never mutated: only pickled).</summary>
    public static PyDict NoKeywords => s_noKeywords;

    /// <summary>Splits a reply into its kind and result, checking its shape.</summary>
    public static (string Kind, object? Result) ReadReply(object? reply, CallDescription what)
    {
        if (reply is PyTuple { Count: 2 } t && t[0] is string kind)
        {
            return (kind, t[1]);
        }

        throw new ProcessException($"The manager's reply to {what} is not a (kind, result) pair: {Truncate(PyRepr.Repr(reply))}");
    }

    /// <summary>CPython's <c>convert_to_error(kind, result)</c> for every kind but <c>#RETURN</c> and <c>#PROXY</c>.</summary>
    /// <param name="kind">The reply kind.</param>
    /// <param name="result">The reply's result.</param>
    /// <param name="what">The request, for messages ("'get' on Queue '7f…'").</param>
    /// <returns>The exception to throw.</returns>
    public static Exception ConvertToError(string kind, object? result, CallDescription what)
    {
        switch (kind)
        {
            case Error:
                // The exception instance itself: KeyError('x') → KeyNotFoundException, queue.Empty → TimeoutException, ...
                return DillForms.NormalizeException(result) switch
                {
                    PyException e => e.ToException(),
                    PyReduce r when r.ClassGlobal is not null && r.Kind != PyReduceKind.NewObjEx => PyException.FromReduce(r).ToException(),
                    _ => new ProcessException($"The manager answered {what} with #ERROR carrying a non-exception value: {Truncate(PyRepr.Repr(result))}"),
                };
            case Traceback or Unserializable:
                if (result is not string text)
                {
                    // managers.py convert_to_error: "Result {0!r} (kind '{1}') type is {2}, not str"
                    return new ProcessException($"The manager answered {what} with {kind} whose result is not a str: {Truncate(PyRepr.Repr(result))}");
                }

                var body = kind == Unserializable ? "Unserializable message: " + text + "\n" : text;
                var summary = kind == Unserializable
                    ? $"The manager could not pickle its reply to {what}: {Summarize(text)}"
                    : $"The manager raised an error for {what}: {Summarize(text)}";
                return new RemoteException(summary, body);
            default:
                return new ProcessException($"Unrecognized message type {PyRepr.Repr(kind)} in the manager's reply to {what}");
        }
    }

    [DoesNotReturn]
    public static void Throw(string kind, object? result, CallDescription what) => throw ConvertToError(kind, result, what);

    /// <summary>
    /// The line of a Python traceback that names the exception: the first unindented <c>Name: message</c> line
    /// (with chained exceptions the first is the cause, e.g. the AttributeError of a method that is not exposed,
    /// before the KeyError of the fallback lookup).
    /// </summary>
    internal static string Summarize(string traceback)
    {
        foreach (var raw in traceback.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || char.IsWhiteSpace(line[0]) || line.StartsWith("Traceback ", StringComparison.Ordinal)
                || line.StartsWith("During handling", StringComparison.Ordinal) || line.StartsWith("The above exception", StringComparison.Ordinal))
            {
                continue;
            }

            return Truncate(line);
        }

        return Truncate(traceback.Trim());
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : string.Concat(text.AsSpan(0, 500), "...");
}
