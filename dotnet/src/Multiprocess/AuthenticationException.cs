namespace Multiprocess;

/// <summary>
/// The authkey handshake failed: the peer's digest was wrong, it rejected ours, or it broke the handshake's protocol.
/// Python's <c>multiprocessing.AuthenticationError</c>.
/// </summary>
public class AuthenticationException : ProcessException
{
    /// <summary>Initializes a new instance of the <see cref="AuthenticationException"/> class.</summary>
    public AuthenticationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthenticationException"/> class with a message.</summary>
    /// <param name="message">What was expected and what came.</param>
    public AuthenticationException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthenticationException"/> class with a message and a cause.</summary>
    /// <param name="message">What was expected and what came.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public AuthenticationException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
