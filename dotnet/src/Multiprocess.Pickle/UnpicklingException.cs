namespace Multiprocess.Pickle;

/// <summary>
/// A pickle is malformed or not allowed (Python's <c>pickle.UnpicklingError</c>). The message names the opcode and
/// its offset; <see cref="Offset"/> and <see cref="Opcode"/> carry them. Truncated input raises
/// <see cref="EndOfStreamException"/> instead (Python's EOFError).
/// </summary>
public class UnpicklingException : PickleException
{
    /// <summary>Initializes a new instance of the <see cref="UnpicklingException"/> class.</summary>
    public UnpicklingException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnpicklingException"/> class with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public UnpicklingException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnpicklingException"/> class with a message and cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public UnpicklingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnpicklingException"/> class for an opcode at an offset.</summary>
    /// <param name="message">What is wrong (the opcode and offset are appended).</param>
    /// <param name="opcode">The opcode byte being executed.</param>
    /// <param name="offset">Its offset in the input.</param>
    /// <param name="innerException">The cause, or null.</param>
    public UnpicklingException(string message, byte opcode, long offset, Exception? innerException = null)
        : base($"{message} (opcode {Opcodes.Describe(opcode)} at offset {offset})", innerException!)
    {
        Opcode = opcode;
        Offset = offset;
    }

    /// <summary>Gets the offset of the failing opcode, or -1 when not known.</summary>
    public long Offset { get; } = -1;

    /// <summary>Gets the failing opcode byte, or null when not known.</summary>
    public byte? Opcode { get; }
}
