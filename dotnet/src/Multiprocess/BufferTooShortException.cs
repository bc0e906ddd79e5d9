namespace Multiprocess;

/// <summary>
/// A received message did not fit the caller's buffer. As with Python's <c>multiprocessing.BufferTooShort</c>
/// (whose <c>args[0]</c> is the message), the whole message was consumed from the connection and is carried here in
/// <see cref="Payload"/>, so nothing is lost and the connection stays usable.
/// </summary>
public class BufferTooShortException : ProcessException
{
    /// <summary>Initializes a new instance of the <see cref="BufferTooShortException"/> class.</summary>
    public BufferTooShortException()
    {
        Payload = [];
    }

    /// <summary>Initializes a new instance of the <see cref="BufferTooShortException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public BufferTooShortException(string? message)
        : base(message)
    {
        Payload = [];
    }

    /// <summary>Initializes a new instance of the <see cref="BufferTooShortException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public BufferTooShortException(string? message, Exception? innerException)
        : base(message, innerException)
    {
        Payload = [];
    }

    /// <summary>Initializes a new instance of the <see cref="BufferTooShortException"/> class carrying the message that did not fit.</summary>
    /// <param name="message">What went wrong: the message size and the room there was.</param>
    /// <param name="payload">The complete message that was received.</param>
    public BufferTooShortException(string? message, byte[] payload)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Payload = payload;
    }

    /// <summary>Gets the complete message that was received (Python's <c>args[0]</c>).</summary>
    public byte[] Payload { get; }
}
