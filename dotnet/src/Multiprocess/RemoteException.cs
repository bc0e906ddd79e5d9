namespace Multiprocess;

/// <summary>
/// An error raised in another process and reported back (a manager's <c>#ERROR</c>/<c>#TRACEBACK</c> reply):
/// Python's <c>multiprocessing.managers.RemoteError</c>. <see cref="RemoteTraceback"/> carries the remote
/// traceback text as the peer formatted it.
/// </summary>
public class RemoteException : ProcessException
{
    /// <summary>Initializes a new instance of the <see cref="RemoteException"/> class.</summary>
    public RemoteException()
    {
        RemoteTraceback = "";
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public RemoteException(string? message)
        : base(message)
    {
        RemoteTraceback = "";
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public RemoteException(string? message, Exception? innerException)
        : base(message, innerException)
    {
        RemoteTraceback = "";
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteException"/> class with the remote traceback.</summary>
    /// <param name="message">What went wrong, as a one-line summary.</param>
    /// <param name="remoteTraceback">The traceback text the remote process sent.</param>
    public RemoteException(string? message, string remoteTraceback)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(remoteTraceback);
        RemoteTraceback = remoteTraceback;
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteException"/> class with the remote traceback and the
    /// remote exception mapped to .NET (a pool task's failure).</summary>
    /// <param name="message">What went wrong, as a one-line summary.</param>
    /// <param name="remoteTraceback">The traceback text the remote process sent.</param>
    /// <param name="innerException">The remote exception as a .NET exception, or null.</param>
    public RemoteException(string? message, string remoteTraceback, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(remoteTraceback);
        RemoteTraceback = remoteTraceback;
    }

    /// <summary>Gets the traceback text the remote process sent (empty when none was sent).</summary>
    public string RemoteTraceback { get; }

    /// <summary>Gets the failure as the remote process pickled it (a pool task's <c>rebuild_exc(exc, tb)</c>), for a
    /// server that passes it on to a Python client unchanged; null when there is none.</summary>
    internal object? PythonValue { get; init; }

    /// <summary>Returns the message followed by the remote traceback, framed as Python's <c>RemoteError.__str__</c> does.</summary>
    /// <returns>The text shown to users.</returns>
    public override string ToString() =>
        RemoteTraceback.Length == 0
            ? base.ToString()
            : base.ToString() + "\n" + new string('-', 75) + "\n" + RemoteTraceback + new string('-', 75);
}
