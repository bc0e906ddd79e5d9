namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The Python interpreter behind a Python-backed referent is gone (killed, exited) or cannot be started. The server
/// answers the call with <c>#TRACEBACK</c>, so the client raises a RemoteError carrying this message.
/// </summary>
internal sealed class PythonHostLostException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PythonHostLostException"/> class.</summary>
    public PythonHostLostException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PythonHostLostException"/> class.</summary>
    /// <param name="message">What happened, naming the interpreter.</param>
    public PythonHostLostException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PythonHostLostException"/> class.</summary>
    /// <param name="message">What happened, naming the interpreter.</param>
    /// <param name="innerException">The cause.</param>
    public PythonHostLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
