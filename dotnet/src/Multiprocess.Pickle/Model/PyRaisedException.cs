namespace Multiprocess.Pickle;

/// <summary>A Python exception with no closer .NET equivalent, as thrown by the layers above (see <see cref="PyException.ToException"/>).</summary>
public sealed class PyRaisedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PyRaisedException"/> class.</summary>
    public PyRaisedException()
        : this(PyException.Builtin("Exception"))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PyRaisedException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public PyRaisedException(string message)
        : this(PyException.Builtin("Exception", message))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PyRaisedException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PyRaisedException(string message, Exception innerException)
        : base(message, innerException) => Value = PyException.Builtin("Exception", message);

    /// <summary>Initializes a new instance of the <see cref="PyRaisedException"/> class for a Python exception value.</summary>
    /// <param name="value">The Python exception.</param>
    public PyRaisedException(PyException value)
        : base((value ?? throw new ArgumentNullException(nameof(value))).Message.Length == 0 ? value.TypeName : value.TypeName + ": " + value.Message)
        => Value = value;

    /// <summary>Gets the Python exception value (type, args).</summary>
    public PyException Value { get; }
}
