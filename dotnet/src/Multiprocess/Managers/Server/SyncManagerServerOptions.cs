using Microsoft.Extensions.Logging;
using Multiprocess.Managers.Protocol;

namespace Multiprocess.Managers.Server;

/// <summary>Tuning and logging of a <see cref="SyncManagerServer"/>; the defaults suit most uses.</summary>
public sealed class SyncManagerServerOptions
{
    /// <summary>Gets or sets the listen(2) backlog (CPython 3.13's manager uses 128; older ones 16).</summary>
    public int Backlog { get; set; } = 128;

    /// <summary>Gets or sets where connections and errors are logged (Information for connections and the server's
    /// life, Warning for refused, dropped or malformed connections and requests); null logs nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Gets or sets a value indicating whether every one-shot request (create, incref, decref...) is logged too, not only proxy connections and errors.</summary>
    public bool Verbose { get; set; }

    /// <summary>Gets or sets a value indicating whether SharedMemoryManager's functions (<c>track_segment</c>, <c>release_segment</c>, <c>list_segments</c>) are served, and tracked segments unlinked at shutdown.</summary>
    public bool SharedMemory { get; set; } = true;

    /// <summary>Gets or sets how long a new connection may take to authenticate and send its request (a stock client needs milliseconds).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the longest request accepted (1 GiB by default). A longer one is refused when its header
    /// arrives, before anything is allocated for it, and its connection is closed; the log names the limit.
    /// </summary>
    public long MaxMessageLength { get; set; } = 1L << 30;

    /// <summary>
    /// Gets or sets how many connections may be open at once; a connection beyond it is closed as soon as it is
    /// accepted, and logged. Idle proxy connections cost no thread (<see cref="ParkAfter"/>), so the bound is the
    /// memory and file descriptors they hold (raise <c>ulimit -n</c> with it).
    /// </summary>
    public int MaxConnections { get; set; } = 1024;

    /// <summary>
    /// Gets or sets how many connections may be in their handshake at once. A new connection beyond it evicts the
    /// oldest one still in its handshake, so peers that connect and say nothing cannot lock stock clients out.
    /// </summary>
    public int MaxUnauthenticatedConnections { get; set; } = 64;

    /// <summary>
    /// Gets or sets how long a proxy connection may stay silent between requests before the server closes it.
    /// Infinite by default: a stock client keeps one connection per proxy for the proxy's whole life.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Gets or sets how long a peer may stall in the middle of a request (no byte of a started message), or leave a
    /// reply unread (a send that cannot progress), before its connection is closed.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets a value indicating whether accepted TCP sockets acknowledge at once (TCP_QUICKACK, re-armed before every read).
    /// A stock client sends its last handshake frame and its request as two small writes; without this its Nagle
    /// algorithm holds the request until the server's delayed ACK fires, about 40 ms per new connection.
    /// </summary>
    public bool TcpQuickAck { get; set; } = true;

    /// <summary>Gets or sets how long a serving thread polls for the next request before it blocks (see <c>Connection.SpinDuration</c>); zero blocks at once.</summary>
    public TimeSpan SpinDuration { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets the one serializer the server speaks, as CPython's <c>serializer=</c> fixes it for a whole manager;
    /// null (the default) answers each connection in the serializer of its first request: a pickle and an
    /// XML-RPC document cannot be confused (the one starts with an opcode, the other with <c>&lt;</c>), so stock
    /// clients with <c>serializer='pickle'</c> and <c>serializer='xmlrpclib'</c> share one server and its objects.
    /// With a fixed serializer, a request in the other one is refused as CPython refuses it (a traceback saying
    /// it could not be read, in the server's serializer).
    /// </summary>
    public ManagerSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets the Python host that runs the referents only Python can (Pool, Barrier actions, registered
    /// callables): <c>multiprocess serve --python</c>. Null: such type ids are refused with a clear error.
    /// </summary>
    internal Hosting.PythonHostOptions? PythonHost { get; set; }

    /// <summary>Gets or sets how long an idle worker thread waits for the next connection before it exits.</summary>
    public TimeSpan IdleWorkerTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many idle worker threads are kept for the next connections; a worker beyond it exits at once.</summary>
    public int MaxIdleWorkers { get; set; } = 16;

    /// <summary>
    /// Gets or sets how long a proxy connection's thread waits for the next request before it parks the connection
    /// (one thread then watches all parked connections with epoll, and a worker takes the connection up again when a
    /// request arrives): a busy client keeps its thread, an idle one costs none. Infinite keeps a thread per
    /// connection for its whole life, as CPython does.
    /// </summary>
    public TimeSpan ParkAfter { get; set; } = TimeSpan.FromMilliseconds(50);
}
