using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>
/// Python exceptions as a referent raises them: thrown as <see cref="PyRaisedException"/>, they travel to the client
/// as <c>('#ERROR', exception)</c> and the stock proxy raises the very same class (KeyError, queue.Empty, ...).
/// Messages are CPython 3.13's.
/// </summary>
internal static class PyErrors
{
    public static PyRaisedException TypeError(string message) => Builtin("TypeError", message);

    public static PyRaisedException ValueError(string message) => Builtin("ValueError", message);

    public static PyRaisedException IndexError(string message) => Builtin("IndexError", message);

    public static PyRaisedException RuntimeError(string message) => Builtin("RuntimeError", message);

    public static PyRaisedException OverflowError(string message) => Builtin("OverflowError", message);

    public static PyRaisedException AttributeError(string message) => Builtin("AttributeError", message);

    public static PyRaisedException NotImplementedError(string message) => Builtin("NotImplementedError", message);

    /// <summary><c>KeyError(key)</c>: the key itself is the argument, so the client's message is its repr.</summary>
    public static PyRaisedException KeyError(object? key) => new(PyException.Builtin("KeyError", key));

    public static PyRaisedException MemoryError() => new(PyException.Builtin("MemoryError"));

    public static PyRaisedException StopIteration() => new(PyException.Builtin("StopIteration"));

    /// <summary><c>queue.Empty</c>, which CPython pickles under its C module name <c>_queue</c>.</summary>
    public static PyRaisedException QueueEmpty() => new(PyException.Create("_queue", "Empty"));

    public static PyRaisedException QueueFull() => new(PyException.Create("queue", "Full"));

    /// <summary><c>queue.ShutDown</c> (3.13+: raised by a shut-down queue).</summary>
    public static PyRaisedException QueueShutDown() => new(PyException.Create("queue", "ShutDown"));

    public static PyRaisedException BrokenBarrierError() => new(PyException.Create("threading", "BrokenBarrierError"));

    /// <summary>The error for a value the server keeps as data only (a user class) where Python would run its code.</summary>
    public static PyRaisedException CannotRunUserCode(object? value, string what) =>
        TypeError($"the C# manager server cannot {what} a '{PyRepr.TypeName(value)}' object: it stores instances of "
                  + "user classes as data and cannot run their __hash__/__eq__; use keys made of builtin types "
                  + "(str, bytes, int, float, bool, None, tuple, frozenset)");

    private static PyRaisedException Builtin(string name, string message) => new(PyException.Builtin(name, message));
}
