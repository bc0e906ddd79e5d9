using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// The replies of CPython's manager server, one builder per <see cref="ReplyKind"/> (docs/protocols.md §3.3).
/// Traceback texts end with the Python exception line a client's RemoteError shows.
/// </summary>
internal static class Reply
{
    public static PyTuple ReturnNone { get; } = PyTuple.Create(ReplyKind.Return, null);

    public static PyTuple Return(object? value) => value is null ? ReturnNone : PyTuple.Create(ReplyKind.Return, value);

    public static PyTuple Error(PyException exception) => PyTuple.Create(ReplyKind.Error, exception);

    public static PyTuple Proxy(PyTuple exposed, PyReduce token) => PyTuple.Create(ReplyKind.Proxy, PyTuple.Create(exposed, token));

    public static PyTuple Traceback(string function, Exception exception) =>
        PyTuple.Create(ReplyKind.Traceback, TracebackText(function, ErrorLine(exception)));

    public static PyTuple Traceback(string function, string errorLine) =>
        PyTuple.Create(ReplyKind.Traceback, TracebackText(function, errorLine));

    public static PyTuple Unserializable(string function, string errorLine) =>
        PyTuple.Create(ReplyKind.Unserializable, TracebackText(function, errorLine));

    /// <summary>A <c>format_exc()</c>-shaped text: the client prints it inside its RemoteError.</summary>
    public static string TracebackText(string function, string errorLine) =>
        $"Traceback (most recent call last):\n  File \"<C# manager server>\", in {function}\n{errorLine}\n";

    /// <summary>The last line of a Python traceback for an exception: <c>KeyError: 'x'</c>, <c>_queue.Empty</c>.</summary>
    public static string ErrorLine(Exception exception) => ErrorLine(ToPython(exception));

    public static string ErrorLine(PyException e)
    {
        var name = e.Type.Module is "builtins" or "exceptions" ? e.Type.Name : e.Type.FullName;
        var message = e.Message;
        return message.Length == 0 ? name : $"{name}: {message}";
    }

    /// <summary>The Python exception a server-side failure stands for.</summary>
    public static PyException ToPython(Exception exception) => exception switch
    {
        PyRaisedException raised => raised.Value,
        Hosting.PythonHostLostException lost => PyException.Builtin("RuntimeError", lost.Message),
        KeyNotFoundException key => PyException.Builtin("KeyError", key.Message),
        XmlRpc.XmlRpcException x => x.PythonError,
        UnpicklingException u => PyException.Create("_pickle", "UnpicklingError", u.Message),
        EndOfStreamException eos => PyException.Create("_pickle", "UnpicklingError", "pickle data was truncated: " + eos.Message),
        _ => PyException.FromException(exception),
    };
}
