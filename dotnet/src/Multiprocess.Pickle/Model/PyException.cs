namespace Multiprocess.Pickle;

/// <summary>
/// A Python exception instance as it travels in a pickle: <c>type(*args)</c> by REDUCE, plus the instance dict as
/// BUILD state when it has one (e.g. <c>KeyError('x')</c>, <c>queue.Empty()</c>, a manager's <c>('#ERROR', e)</c>
/// reply, <c>multiprocessing.managers.RemoteError(text)</c>). The unpickler produces it for the classes in
/// <see cref="PyTypeRegistry"/>'s exception list (the builtin exceptions, <c>queue.Empty/Full</c>,
/// multiprocessing's own, and any you add); other classes come as <see cref="PyReduce"/>, which
/// <see cref="FromReduce"/> converts.
/// </summary>
/// <example><code>
/// var reply = PyTuple.Create("#ERROR", PyException.Create("builtins", "KeyError", "x"));
/// throw PyException.Create("_queue", "Empty").ToException();   // a TimeoutException
/// </code></example>
public sealed class PyException : PyReduce
{
    /// <summary>The <see cref="Exception.Data"/> key under which <see cref="ToException"/> stores the original value.</summary>
    public const string DataKey = "Multiprocess.Pickle.PyException";

    /// <summary>Initializes a new instance of the <see cref="PyException"/> class.</summary>
    /// <param name="type">The exception class, e.g. <c>builtins.KeyError</c>.</param>
    /// <param name="args">The exception's <c>args</c>.</param>
    /// <param name="state">The instance dict (BUILD state), or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> or <paramref name="args"/> is null.</exception>
    public PyException(PyGlobal type, PyTuple args, object? state = null)
        : base(type ?? throw new ArgumentNullException(nameof(type)), args, state)
    {
    }

    /// <summary>Gets the exception class.</summary>
    public PyGlobal Type => (PyGlobal)Callable!;

    /// <summary>Gets the class name, e.g. <c>KeyError</c>.</summary>
    public string TypeName => Type.Name;

    /// <summary>Gets Python's <c>str(e)</c>: empty with no args, <c>str(arg)</c> with one (<c>repr(arg)</c> for KeyError), else the args tuple.</summary>
    public string Message => Args.Count switch
    {
        0 => "",
        1 when Type.Is("builtins", "KeyError") => PyRepr.Repr(Args[0]),
        1 => PyRepr.Str(Args[0]),
        _ => PyRepr.Repr(Args),
    };

    /// <summary>Creates <c>module.name(*args)</c>.</summary>
    /// <param name="module">The module, e.g. <c>builtins</c>.</param>
    /// <param name="name">The class name, e.g. <c>ValueError</c>.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The exception value.</returns>
    public static PyException Create(string module, string name, params object?[] args) =>
        new(new PyGlobal(module, name), args.Length == 0 ? PyTuple.Empty : new PyTuple(args));

    /// <summary>Creates a builtin exception, <c>name(*args)</c>.</summary>
    /// <param name="name">The builtin class name, e.g. <c>KeyError</c>.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The exception value.</returns>
    public static PyException Builtin(string name, params object?[] args) => Create("builtins", name, args);

    /// <summary>Reads any reduced object as an exception: its class and arguments (for classes the registry does not know).</summary>
    /// <param name="value">A REDUCE value whose callable is the class.</param>
    /// <returns>The exception value.</returns>
    /// <exception cref="ArgumentException">The value is not a REDUCE/NEWOBJ of a named class.</exception>
    public static PyException FromReduce(PyReduce value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value is PyException e)
        {
            return e;
        }

        if (value.ClassGlobal is not { } cls || value.Kind is PyReduceKind.NewObjEx)
        {
            throw new ArgumentException($"{PyRepr.Repr(value)} is not an exception instance (no class global)", nameof(value));
        }

        return new PyException(cls, value.Args, value.State);
    }

    /// <summary>
    /// Maps a .NET exception to the Python exception a Python peer expects: the original value when the exception
    /// came from <see cref="ToException"/>; otherwise by type (KeyNotFoundException → KeyError, ArgumentException →
    /// ValueError, TimeoutException → TimeoutError, ...; anything else → Exception), with the message as the argument.
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The Python exception value.</returns>
    public static PyException FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Data[DataKey] is PyException original)
        {
            return original;
        }

        if (exception is PyRaisedException raised)
        {
            return raised.Value;
        }

        return Builtin(ExceptionMapping.PythonName(exception), exception.Message);
    }

    /// <summary>
    /// Maps this to the closest .NET exception, for the layers above: KeyError → KeyNotFoundException, IndexError →
    /// ArgumentOutOfRangeException, ValueError → ArgumentException, StopIteration/RuntimeError → InvalidOperationException,
    /// queue.Empty/Full and TimeoutError → TimeoutException, OSError → IOException, EOFError → EndOfStreamException,
    /// others → <see cref="PyRaisedException"/>. The value itself is kept in <see cref="Exception.Data"/>[<see cref="DataKey"/>].
    /// </summary>
    /// <returns>The exception (not thrown).</returns>
    public Exception ToException()
    {
        var text = Message.Length == 0 ? TypeName : TypeName + ": " + Message;
        var ex = ExceptionMapping.Create(this, text);
        ex.Data[DataKey] = this;
        return ex;
    }

    /// <summary>Returns Python's repr, e.g. <c>KeyError('x')</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);
}
