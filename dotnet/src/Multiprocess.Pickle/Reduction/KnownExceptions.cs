
namespace Multiprocess.Pickle;

/// <summary>The exception classes every registry knows: Python's builtin hierarchy and the ones multiprocessing raises across processes.</summary>
internal static class KnownExceptions
{
    private static readonly HashSet<string> s_builtins = new[]
    {
        "BaseException", "BaseExceptionGroup", "Exception", "ExceptionGroup", "ArithmeticError", "AssertionError",
        "AttributeError", "BlockingIOError", "BrokenPipeError", "BufferError", "ChildProcessError",
        "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "EOFError",
        "EnvironmentError", "FileExistsError", "FileNotFoundError", "FloatingPointError", "GeneratorExit", "IOError",
        "ImportError", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError", "KeyError",
        "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "NotADirectoryError",
        "NotImplementedError", "OSError", "OverflowError", "PermissionError", "ProcessLookupError",
        "PythonFinalizationError", "RecursionError", "ReferenceError", "RuntimeError", "StopAsyncIteration",
        "StopIteration", "SyntaxError", "SystemError", "SystemExit", "TabError", "TimeoutError", "TypeError",
        "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
        "ValueError", "ZeroDivisionError", "Warning", "UserWarning", "DeprecationWarning", "PendingDeprecationWarning",
        "SyntaxWarning", "RuntimeWarning", "FutureWarning", "ImportWarning", "UnicodeWarning", "BytesWarning",
        "ResourceWarning", "EncodingWarning", "StandardError",
    }.ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<(string, string)> s_others = new[]
    {
        ("queue", "Empty"), ("queue", "Full"), ("_queue", "Empty"), ("queue", "ShutDown"),
        ("multiprocessing", "ProcessError"), ("multiprocessing", "BufferTooShort"), ("multiprocessing", "TimeoutError"), ("multiprocessing", "AuthenticationError"),
        ("multiprocessing.context", "ProcessError"), ("multiprocessing.context", "BufferTooShort"),
        ("multiprocessing.context", "TimeoutError"), ("multiprocessing.context", "AuthenticationError"),
        ("multiprocessing.managers", "RemoteError"), ("multiprocessing.pool", "MaybeEncodingError"),
        ("multiprocess", "ProcessError"), ("multiprocess", "BufferTooShort"), ("multiprocess", "TimeoutError"), ("multiprocess", "AuthenticationError"),
        ("multiprocess.context", "ProcessError"), ("multiprocess.context", "BufferTooShort"),
        ("multiprocess.context", "TimeoutError"), ("multiprocess.context", "AuthenticationError"),
        ("multiprocess.managers", "RemoteError"), ("multiprocess.pool", "MaybeEncodingError"),
        ("_pickle", "PickleError"), ("_pickle", "PicklingError"), ("_pickle", "UnpicklingError"),
        ("pickle", "PickleError"), ("pickle", "PicklingError"), ("pickle", "UnpicklingError"),
        ("concurrent.futures._base", "TimeoutError"), ("concurrent.futures._base", "CancelledError"),
        ("concurrent.futures._base", "BrokenExecutor"), ("concurrent.futures.process", "BrokenProcessPool"),
        ("asyncio.exceptions", "TimeoutError"), ("asyncio.exceptions", "CancelledError"),
        ("asyncio.exceptions", "InvalidStateError"), ("asyncio.exceptions", "IncompleteReadError"),
        ("socket", "timeout"), ("socket", "gaierror"), ("socket", "herror"),
        ("subprocess", "CalledProcessError"), ("subprocess", "TimeoutExpired"), ("subprocess", "SubprocessError"),
        ("json.decoder", "JSONDecodeError"), ("struct", "error"), ("zlib", "error"), ("binascii", "Error"),
        ("decimal", "InvalidOperation"), ("decimal", "DivisionByZero"), ("decimal", "Overflow"),
    }.ToHashSet();

    // OSError.__new__ picks a subclass from errno (Objects/exceptions.c errnomap; Linux numbers).
    private static readonly Dictionary<long, string> s_errnoMap = new()
    {
        [11] = "BlockingIOError", [114] = "BlockingIOError", [115] = "BlockingIOError", // EAGAIN, EALREADY, EINPROGRESS
        [10] = "ChildProcessError", [32] = "BrokenPipeError", [108] = "BrokenPipeError", // ECHILD, EPIPE, ESHUTDOWN
        [103] = "ConnectionAbortedError", [111] = "ConnectionRefusedError", [104] = "ConnectionResetError",
        [17] = "FileExistsError", [2] = "FileNotFoundError", [21] = "IsADirectoryError", [20] = "NotADirectoryError",
        [4] = "InterruptedError", [13] = "PermissionError", [1] = "PermissionError", [3] = "ProcessLookupError",
        [110] = "TimeoutError",
    };

    /// <summary>Calling builtins.OSError(errno, strerror, ...) gives the errno's subclass, as CPython does.</summary>
    public static PyGlobal ResolveOSError(PyGlobal type, PyTuple args) =>
        type.Module is "builtins" && type.Name is "OSError" or "IOError" or "EnvironmentError"
        && args.Count is >= 2 and <= 5 && args[0] is long errno && s_errnoMap.TryGetValue(errno, out var name)
            ? new PyGlobal("builtins", name)
            : type;

    public static bool Contains(string module, string name) =>
        (module is "builtins" or "exceptions" && s_builtins.Contains(name)) || s_others.Contains((module, name));
}
