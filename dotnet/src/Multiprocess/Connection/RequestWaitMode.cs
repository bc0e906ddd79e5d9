namespace Multiprocess.Connection;

/// <summary>How <see cref="SocketTransport.TryReadWithin"/> waits on an AF_UNIX socket (<see cref="RequestWait"/>).</summary>
internal enum RequestWaitMode
{
    /// <summary>
    /// <see cref="Poll"/> while several clients are busy (two requests on AF_UNIX connections of this process
    /// were served at once within the last 50 ms: <see cref="ConcurrentRequests"/>), else <see cref="Unread"/> while
    /// another AF_UNIX connection waited for input within the last millisecond, else recv(2) alone (the default).
    /// </summary>
    Auto,

    /// <summary>poll(2) then recv(2) while the peer has not read our last message, else recv(2) alone.</summary>
    Unread,

    /// <summary>recv(2) alone, always.</summary>
    Recv,

    /// <summary>poll(2) then recv(2), always.</summary>
    Poll,
}
