using System.Diagnostics.CodeAnalysis;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>
/// How the client reads a manager's reply <c>(kind, result)</c> (<see cref="ReplyKind"/>, docs/protocols.md,
/// "Replies"): its shape, and CPython's <c>convert_to_error</c> for the kinds that are failures.
/// </summary>
internal static class ManagerProtocol
{
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
    /// <param name="serializer">The manager's serializer: a <c>#UNSERIALIZABLE</c> reply names it (pickle or xmlrpclib).</param>
    /// <returns>The exception to throw.</returns>
    public static Exception ConvertToError(string kind, object? result, CallDescription what, ManagerSerializer serializer)
    {
        switch (kind)
        {
            case ReplyKind.Error:
                // The exception instance itself: KeyError('x') → KeyNotFoundException, queue.Empty → TimeoutException, ...
                return DillForms.NormalizeException(result) switch
                {
                    PyException e => e.ToException(),
                    PyReduce r when r.ClassGlobal is not null && r.Kind != PyReduceKind.NewObjEx => PyException.FromReduce(r).ToException(),
                    _ => new ProcessException($"The manager answered {what} with #ERROR carrying a non-exception value: {Truncate(PyRepr.Repr(result))}"),
                };
            case ReplyKind.Traceback or ReplyKind.Unserializable:
                if (result is not string text)
                {
                    // managers.py convert_to_error: "Result {0!r} (kind '{1}') type is {2}, not str"
                    return new ProcessException($"The manager answered {what} with {kind} whose result is not a str: {Truncate(PyRepr.Repr(result))}");
                }

                var body = kind == ReplyKind.Unserializable ? "Unserializable message: " + text + "\n" : text;
                var summary = kind == ReplyKind.Unserializable
                    ? $"The manager could not serialize its reply to {what} ({SerializerName(serializer)}): {Summarize(text)}"
                    : $"The manager raised an error for {what}: {Summarize(text)}";
                return new RemoteException(summary, body);
            default:
                return new ProcessException($"Unrecognized message type {PyRepr.Repr(kind)} in the manager's reply to {what}");
        }
    }

    /// <summary>The serializer's name as CPython's <c>BaseManager(serializer=...)</c> spells it.</summary>
    public static string SerializerName(ManagerSerializer serializer) =>
        serializer == ManagerSerializer.Xmlrpclib ? "serializer 'xmlrpclib'" : "serializer 'pickle'";

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
