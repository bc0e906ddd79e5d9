namespace Multiprocess.Pickle;

/// <summary>The table between Python exception classes and .NET exceptions (<see cref="PyException.ToException"/>).</summary>
internal static class ExceptionMapping
{
    public static Exception Create(PyException value, string text)
    {
        var t = value.Type;
        var builtin = string.Equals(t.Module, "builtins", StringComparison.Ordinal) || string.Equals(t.Module, "exceptions", StringComparison.Ordinal);
        if (t.Name is "Empty" or "Full" && t.Module is "queue" or "_queue")
        {
            return new TimeoutException(text);
        }

        if (t.Name == "TimeoutError" && (builtin || t.Module.EndsWith(".context", StringComparison.Ordinal) || t.Module.StartsWith("concurrent.futures", StringComparison.Ordinal)))
        {
            return new TimeoutException(text);
        }

        if (!builtin)
        {
            return new PyRaisedException(value);
        }

        return t.Name switch
        {
            "KeyError" => new KeyNotFoundException(text),
            "IndexError" => new ArgumentOutOfRangeException(null, text),
            "ValueError" or "TypeError" or "UnicodeError" or "UnicodeDecodeError" or "UnicodeEncodeError" or "LookupError" => new ArgumentException(text),
            "AttributeError" => new MissingMemberException(text),
            "NotImplementedError" => new NotImplementedException(text),
            "StopIteration" or "RuntimeError" or "AssertionError" or "StopAsyncIteration" => new InvalidOperationException(text),
            "ZeroDivisionError" => new DivideByZeroException(text),
            "OverflowError" => new OverflowException(text),
            "MemoryError" => new InsufficientMemoryException(text),
            "RecursionError" => new InsufficientExecutionStackException(text),
            "EOFError" => new EndOfStreamException(text),
            "FileNotFoundError" => new FileNotFoundException(text),
            "PermissionError" => new UnauthorizedAccessException(text),
            "OSError" or "IOError" or "EnvironmentError" or "FileExistsError" or "IsADirectoryError" or "NotADirectoryError"
                or "ConnectionError" or "BrokenPipeError" or "ConnectionResetError" or "ConnectionAbortedError"
                or "ConnectionRefusedError" or "BlockingIOError" or "InterruptedError" or "ProcessLookupError"
                or "ChildProcessError" => new IOException(text),
            "KeyboardInterrupt" => new OperationCanceledException(text),
            _ => new PyRaisedException(value),
        };
    }

    public static string PythonName(Exception e) => e switch
    {
        KeyNotFoundException => "KeyError",
        ArgumentOutOfRangeException or IndexOutOfRangeException => "IndexError",
        ArgumentException or FormatException => "ValueError",
        InvalidCastException => "TypeError",
        MissingMemberException => "AttributeError",
        NotImplementedException or NotSupportedException => "NotImplementedError",
        TimeoutException => "TimeoutError",
        DivideByZeroException => "ZeroDivisionError",
        OverflowException => "OverflowError",
        OutOfMemoryException or InsufficientMemoryException => "MemoryError",
        InsufficientExecutionStackException => "RecursionError",
        EndOfStreamException => "EOFError",
        FileNotFoundException or DirectoryNotFoundException => "FileNotFoundError",
        UnauthorizedAccessException => "PermissionError",
        IOException => "OSError",
        OperationCanceledException => "KeyboardInterrupt",
        InvalidOperationException => "RuntimeError",
        _ => "Exception",
    };
}
