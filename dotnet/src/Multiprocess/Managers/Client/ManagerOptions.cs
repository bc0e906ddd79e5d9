using Multiprocess.Managers.Protocol;

namespace Multiprocess.Managers.Client;

/// <summary>How a <see cref="BaseManager"/> client talks to its manager.</summary>
public sealed class ManagerOptions
{
    /// <summary>Gets the defaults: a <c>multiprocessing</c> manager, one connection per thread, no call timeout.</summary>
    public static ManagerOptions Default { get; } = new();

    /// <summary>Gets which Python package runs the manager (the class names proxies are pickled with).</summary>
    public ManagerLibrary Library { get; init; } = ManagerLibrary.Multiprocessing;

    /// <summary>
    /// Gets the manager's serializer (its <c>serializer=</c> argument): <see cref="ManagerSerializer.Pickle"/>, or
    /// <see cref="ManagerSerializer.Xmlrpclib"/> for a manager started with <c>serializer='xmlrpclib'</c> (values are then
    /// limited to what XML-RPC carries: docs/xmlrpc.md).
    /// </summary>
    public ManagerSerializer Serializer { get; init; } = ManagerSerializer.Pickle;

    /// <summary>
    /// Gets the pickle protocol of requests: 5 (the default) as CPython 3.14 sends (its <c>pickle.DEFAULT_PROTOCOL</c>),
    /// or 4 as 3.8–3.13 send. Every CPython 3.8+ manager reads both; the C# server answers a protocol-5 client with
    /// 3.14's type ids and exposed names (<c>set</c>, <c>locked</c>: docs/versions.md) and a protocol-4 client with
    /// 3.13's.
    /// </summary>
    public int PickleProtocol { get; init; } = 5;

    /// <summary>Gets how persistent connections are kept (per thread, as Python, or pooled).</summary>
    public ManagerConnectionMode ConnectionMode { get; init; } = ManagerConnectionMode.PerThread;

    /// <summary>Gets the limit on each connection's authkey handshake; null is the connection layer's default (20 s).</summary>
    public TimeSpan? HandshakeTimeout { get; init; }

    /// <summary>
    /// Gets how long a call waits for its reply before giving up with a <see cref="TimeoutException"/> (the
    /// connection is then closed, since the late reply would put it out of step). Infinite by default, as in
    /// Python: a blocking <c>get()</c> on an empty queue waits for ever. Method timeouts (<c>get(timeout=…)</c>)
    /// are the manager's and need no call timeout.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Gets how long a synchronous call polls for its reply before it sleeps (<see cref="Connection.Connection.SpinDuration"/>;
    /// adaptive, so calls that wait long stop polling). A CPython manager answers a simple call in 20–60 µs, and
    /// catching the reply by polling saves a thread wake-up (~20 µs here) per call. Null keeps the connection
    /// default (50 µs, or <c>MULTIPROCESS_SPIN_US</c>); zero blocks at once, as Python's client does.
    /// </summary>
    public TimeSpan? ReceiveSpin { get; init; }
}
