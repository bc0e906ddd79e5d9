using Multiprocess.Pickle;

namespace Multiprocess.Pooling;

/// <summary>
/// How a failed task's value (CPython's worker sends <c>(False, exc)</c>) becomes a .NET exception: an exception
/// wrapped by <c>ExceptionWithTraceback</c> arrives as <c>rebuild_exc(exc, '\n"""\n&lt;traceback&gt;"""')</c> and becomes
/// a <see cref="RemoteException"/> carrying the remote traceback, with the exception mapped by
/// <see cref="PyException.ToException"/> as its inner exception.
/// </summary>
internal static class PoolErrors
{
    /// <summary>" (SIGKILL)" for an exit code -9 (a process killed by a signal has exit code -signal, as in CPython's
    /// <c>Process.exitcode</c>); empty otherwise.</summary>
    public static string SignalName(int? exitCode) => exitCode switch
    {
        -9 => " (SIGKILL)",
        -15 => " (SIGTERM)",
        -6 => " (SIGABRT)",
        -11 => " (SIGSEGV)",
        -2 => " (SIGINT)",
        -7 => " (SIGBUS)",
        _ => "",
    };

    public static Exception FromPython(object? value, string function)
    {
        var traceback = "";
        var exc = value;
        if (value is PyReduce { Callable: PyGlobal { Name: "rebuild_exc" } g, Args: { Count: 2 } args }
            && g.Module.EndsWith(".pool", StringComparison.Ordinal))
        {
            exc = args[0];
            traceback = args[1] as string ?? "";

            // ExceptionWithTraceback: '\n"""\n%s"""' % formatted traceback
            if (traceback.StartsWith("\n\"\"\"\n", StringComparison.Ordinal) && traceback.EndsWith("\"\"\"", StringComparison.Ordinal))
            {
                traceback = traceback[5..^3];
            }
        }

        PyException? pyException = exc switch
        {
            PyException e => e,
            PyReduce r when r.ClassGlobal is not null => PyException.FromReduce(r),
            _ => null,
        };

        var summary = pyException is null ? $"{function} failed: {PyRepr.Repr(exc)}" : Describe(pyException);
        return traceback.Length > 0
            ? new RemoteException(summary, traceback, pyException?.ToException()) { PythonValue = value }
            : new RemoteException(summary, pyException?.ToException()) { PythonValue = value };
    }

    /// <summary><c>str(exc)</c> with its class, as a traceback's last line shows it; MaybeEncodingError's own text.</summary>
    private static string Describe(PyException e)
    {
        if (e.TypeName == "MaybeEncodingError" && e.Args.Count == 2)
        {
            return $"MaybeEncodingError: Error sending result: '{e.Args[1]}'. Reason: '{e.Args[0]}'";
        }

        return e.Message.Length == 0 ? e.TypeName : e.TypeName + ": " + e.Message;
    }
}
