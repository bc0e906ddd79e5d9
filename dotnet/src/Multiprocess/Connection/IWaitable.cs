namespace Multiprocess.Connection;

/// <summary>
/// Something <see cref="Connection.Wait{T}"/> can wait on: Python's "any object with a <c>fileno()</c>". Connections
/// and listeners implement it; sockets, safe handles and plain int fds are accepted as they are.
/// </summary>
public interface IWaitable
{
    /// <summary>Returns the file descriptor that becomes readable when the object is ready.</summary>
    /// <returns>The fd.</returns>
    int Fileno();
}
