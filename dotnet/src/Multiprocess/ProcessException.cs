namespace Multiprocess;

/// <summary>
/// The root of the engine's own errors, Python's <c>multiprocessing.ProcessError</c>. Argument and state errors use
/// the BCL types; I/O failures are <see cref="IOException"/> (Python <c>OSError</c>), a peer that closed between
/// messages is <see cref="EndOfStreamException"/> (<c>EOFError</c>).
/// </summary>
public class ProcessException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ProcessException"/> class.</summary>
    public ProcessException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProcessException"/> class with a message.</summary>
    /// <param name="message">What went wrong: what was expected and what was found.</param>
    public ProcessException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ProcessException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong: what was expected and what was found.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public ProcessException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
