namespace Multiprocess.Managers.Server;

/// <summary>Tuning and logging of a <see cref="SyncManagerServer"/>; the defaults suit most uses.</summary>
public sealed class SyncManagerServerOptions
{
    /// <summary>Gets or sets the listen(2) backlog (CPython 3.13's manager uses 128; older ones 16).</summary>
    public int Backlog { get; set; } = 128;

    /// <summary>Gets or sets where connections and errors are logged (one line each); null logs nothing.</summary>
    public TextWriter? Log { get; set; }

    /// <summary>Gets or sets a value indicating whether every one-shot request (create, incref, decref...) is logged too, not only proxy connections and errors.</summary>
    public bool Verbose { get; set; }

    /// <summary>Gets or sets a value indicating whether SharedMemoryManager's functions (<c>track_segment</c>, <c>release_segment</c>, <c>list_segments</c>) are served, and tracked segments unlinked at shutdown.</summary>
    public bool SharedMemory { get; set; } = true;

    /// <summary>Gets or sets how long a new connection may take to authenticate and send its request.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Gets or sets a value indicating whether accepted TCP sockets acknowledge at once (TCP_QUICKACK, re-armed before every read).
    /// A stock client sends its last handshake frame and its request as two small writes; without this its Nagle
    /// algorithm holds the request until the server's delayed ACK fires, about 40 ms per new connection.
    /// </summary>
    public bool TcpQuickAck { get; set; } = true;

    /// <summary>Gets or sets how long a serving thread polls for the next request before it blocks (see <c>Connection.SpinDuration</c>); zero blocks at once.</summary>
    public TimeSpan SpinDuration { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets how long an idle worker thread waits for the next connection before it exits.</summary>
    public TimeSpan IdleWorkerTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
