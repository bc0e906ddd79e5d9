using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Multiprocess.Connection;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Managers.Server;

/// <summary>
/// A manager server that stock Python clients use unchanged: <c>SyncManager(address, authkey).connect()</c>, then
/// <c>m.dict()</c>, <c>m.Queue()</c>, <c>m.Lock()</c>... It speaks CPython's manager protocol (docs/protocols.md §3) on
/// every supported address family, serves every SyncManager type id (<c>Pool</c> excepted) and SharedMemoryManager's
/// segment tracking, and hosts your own C# objects under type ids of your choice (<see cref="Register"/>).
/// </summary>
/// <remarks>
/// <para>
/// Threads: one accept thread, one thread watching idle proxy connections (epoll), and one thread per connection
/// while it is busy, taken from a pool of idle workers (the three one-shot connections behind every <c>m.dict()</c>
/// reuse threads). A proxy connection silent for <see cref="SyncManagerServerOptions.ParkAfter"/> gives its thread
/// back, so thousands of open proxies cost no thread each. A call that blocks (<c>Queue.get</c>,
/// <c>Lock.acquire</c>, <c>Event.wait</c>...) keeps its thread and blocks only its own client; if that client dies
/// while it waits the call ends without taking anything.
/// </para>
/// <para>All members are thread-safe. <see cref="Shutdown"/> (or a client's <c>shutdown</c>) stops the server; it cannot be
/// restarted, but a new server can start at once on the same address (docs/xmlrpc.md, "Restarting a server").</para>
/// </remarks>
/// <example><code>
/// using var server = new SyncManagerServer("127.0.0.1:50000", authkey);
/// server.Start();
/// Console.WriteLine(server.Address);     // 127.0.0.1:50000
/// server.WaitForShutdown();              // until a client calls shutdown, or server.Shutdown()
/// </code></example>
public sealed partial class SyncManagerServer : IDisposable
{
    private readonly byte[] _authKey;
    private readonly ConnectionAddress _requested;
    private readonly SyncManagerServerOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _stopped = new(false);
    private readonly Server _server;
    private readonly object _lifecycle = new();
    private readonly PythonHost? _host;
    private readonly ConcurrentDictionary<ServedPool, byte> _pools = new();
    private Listener? _listener;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Initializes a new instance of the <see cref="SyncManagerServer"/> class (not listening yet: see <see cref="Start"/>).</summary>
    /// <param name="address">Where to listen: <c>host:port</c> (port 0 picks one), <c>[v6addr]:port</c>, a path containing <c>/</c>, or <c>@name</c> (abstract).</param>
    /// <param name="authKey">The key clients must know (the manager's <c>authkey</c>).</param>
    /// <param name="options">Tuning and logging; null for the defaults.</param>
    /// <exception cref="FormatException"><paramref name="address"/> is not an address.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="authKey"/> is null.</exception>
    public SyncManagerServer(string address, byte[] authKey, SyncManagerServerOptions? options = null)
        : this(ConnectionAddress.Parse(address ?? throw new ArgumentNullException(nameof(address))), authKey, options)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SyncManagerServer"/> class (not listening yet: see <see cref="Start"/>).</summary>
    /// <param name="address">Where to listen; null picks a fresh AF_UNIX path, as a Python manager does.</param>
    /// <param name="authKey">The key clients must know.</param>
    /// <param name="options">Tuning and logging; null for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="authKey"/> is null.</exception>
    public SyncManagerServer(ConnectionAddress? address, byte[] authKey, SyncManagerServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        _authKey = (byte[])authKey.Clone();
        _requested = address ?? ConnectionAddress.Arbitrary(ConnectionFamily.Unix);
        _options = options ?? new SyncManagerServerOptions();
        _server = new Server(_stop.Token) { Segments = _options.SharedMemory ? new SegmentTracker() : null };
        _server.ShutdownRequested += () => Log("shutdown requested by a client");
        if (_options.PythonHost is { } hostOptions)
        {
            _host = new PythonHost(hostOptions, _authKey, message => Log(message));
            var python = new PythonTypeIds(_host, 0);
            UsePython(python);
            _server.Register(new TypeIdEntry(
                "Pool",
                (args, kwargs, _) => ServedPool.Create(args, kwargs, hostOptions, python, _pools, _options.Logger),
                SyncManagerTypes.PoolExposed,
                PythonTypeIds.PoolMethodToTypeid));
        }
    }

    /// <summary>Gets the address in the command line's text form; after <see cref="Start"/> the bound one (e.g. the port picked for <c>:0</c>).</summary>
    public string Address => (_listener?.Address ?? _requested).ToString();

    /// <summary>Gets the bound address, or the requested one before <see cref="Start"/>.</summary>
    public ConnectionAddress BoundAddress => _listener?.Address ?? _requested;

    /// <summary>
    /// Gets <see cref="BoundAddress"/> as Python's <c>Server.address</c> holds it and tokens carry it: <c>(host, port)</c>,
    /// a path str, or for an abstract name the bytes <c>b'\0name'</c> that <c>socket.getsockname()</c> returns.
    /// </summary>
    public object PythonAddress => PickledAddress.ToPython(BoundAddress);

    /// <summary>Gets a value indicating whether the server has stopped (after <see cref="Shutdown"/> or a client's <c>shutdown</c>).</summary>
    public bool IsStopped => Volatile.Read(ref _state) == 2;

    /// <summary>Gets the number of shared objects with external references (the clients' <c>_number_of_objects()</c>).</summary>
    public int NumberOfObjects => _server.Objects.NumberOfObjects;

    /// <summary>Gets the number of connections being served right now (proxy connections and one-shot requests).</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Gets the number of open proxy connections parked between requests, which hold no thread (<see cref="SyncManagerServerOptions.ParkAfter"/>).</summary>
    public int ParkedConnections => _parked?.Count ?? 0;

    /// <summary>Starts listening and serving; returns at once.</summary>
    /// <exception cref="IOException">The address could not be bound.</exception>
    /// <exception cref="InvalidOperationException">The server was already started or stopped.</exception>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_state != 0)
            {
                throw new InvalidOperationException($"The manager server on '{Address}' was already {(_state == 1 ? "started" : "stopped")}");
            }

            if (RemoveStaleSocketFile(_requested))
            {
                Log($"removed the socket file of a server that is gone: {_requested}");
            }

            StartPython();
            _listener = new Listener(_requested, _options.Backlog);
            _server.Address = PickledAddress.ToPython(_listener.Address);
            _server.IsOwnAddress = IsOwnAddress;
            StartParking();
            _state = 1;
            for (var i = 0; i < Acceptors; i++)
            {
                StartAcceptor();
            }
        }

        Log($"serving at {_listener.Address}");
    }

    /// <summary>
    /// Registers a type id that clients create with <c>manager.&lt;typeid&gt;(*args, **kwds)</c> (after
    /// <c>MyManager.register('&lt;typeid&gt;')</c> on their side). The object may implement <see cref="ISharedObject"/>;
    /// any other object's public methods are called by reflection (<c>get_count</c> calls <c>GetCount</c>).
    /// </summary>
    /// <param name="typeId">The type id; replaces an existing registration (also a SyncManager one).</param>
    /// <param name="factory">Makes an object from the client's positional and keyword arguments; null for a type id only returned by methods (see <paramref name="methodToTypeid"/>).</param>
    /// <param name="exposed">The method names clients may call; null for all public methods (snake_case).</param>
    /// <param name="methodToTypeid">Methods whose result is returned as a new proxy of the given type id (CPython's <c>method_to_typeid</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="typeId"/> is empty, or a method_to_typeid entry is empty.</exception>
    public void Register(string typeId, Func<PyTuple, PyDict, object?>? factory, IEnumerable<string>? exposed = null, IReadOnlyDictionary<string, string>? methodToTypeid = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeId);
        if (methodToTypeid is not null && methodToTypeid.Any(kv => string.IsNullOrEmpty(kv.Key) || string.IsNullOrEmpty(kv.Value)))
        {
            throw new ArgumentException("method_to_typeid maps method names to type ids; neither may be empty", nameof(methodToTypeid));
        }

        _server.Register(new TypeIdEntry(
            typeId,
            factory is null ? null : (a, k, _) => factory(a, k),
            exposed?.ToArray(),
            methodToTypeid is null ? null : new Dictionary<string, string>(methodToTypeid, StringComparer.Ordinal)));
    }

    /// <summary>Blocks until the server stops.</summary>
    /// <param name="timeout">How long to wait; null waits for ever.</param>
    /// <returns>Whether it stopped in time.</returns>
    public bool WaitForShutdown(TimeSpan? timeout = null) => _stopped.Wait(timeout ?? Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Stops the server: closes the listener and every client connection, ends blocked calls, unlinks the shared
    /// memory segments clients registered. Shared objects are dropped. Calling it again does nothing.
    /// </summary>
    public void Shutdown()
    {
        lock (_lifecycle)
        {
            if (_state == 2)
            {
                return;
            }

            _state = 2;
        }

        _stop.Cancel();
        _listener?.Close();
        AbortSessions();
        foreach (var pool in _pools.Keys)
        {
            pool.Dispose();
        }

        _host?.Dispose();
        var failed = _server.Segments?.UnlinkAll() ?? [];
        foreach (var name in failed)
        {
            Log($"could not unlink shared memory segment '{name}'", LogLevel.Warning);
        }

        WaitForWorkers(TimeSpan.FromSeconds(5));
        Log("stopped");
        _stopped.Set();
    }

    /// <summary>Stops the server (<see cref="Shutdown"/>).</summary>
    public void Dispose()
    {
        Shutdown();
        _stop.Dispose();
    }

    /// <summary>The objects' side of the server (registry, object table), for the shim's Python type ids.</summary>
    internal Server Core => _server;

    /// <summary>Gets the Python host behind this server, or null (<see cref="SyncManagerServerOptions.PythonHost"/>).</summary>
    internal PythonHost? PythonHost => _host;

    /// <summary>Runs Pool, Barrier actions and Python type ids in <paramref name="python"/>'s interpreter.</summary>
    internal void UsePython(PythonTypeIds python) => _server.Python = python;

    /// <summary>Names the host in the log; starts it now when registrations need its answers, else on first use.</summary>
    /// <exception cref="PythonHostLostException">The host could not start (its error is in the message).</exception>
    private void StartPython()
    {
        if (_host is null)
        {
            Log(_server.Python is null ? "no Python host: Pool, Barrier(action=) and Python type ids are refused" : "Python referents run in this process's interpreter");
            return;
        }

        var options = _options.PythonHost!;
        if (!options.StartEagerly)
        {
            Log($"python host: {options.Executable} (flavour {options.Flavour}), started on first use");
            return;
        }

        _host.Start();
        foreach (var (typeId, creatable, exposed, methodToTypeid) in _host.Registrations)
        {
            _server.RegisterPython(typeId, creatable, exposed, methodToTypeid);
            Log($"registered '{typeId}' (Python{(exposed is null ? "" : ", exposed " + string.Join(",", exposed))})");
        }
    }

    /// <summary>Whether an address a client wrote in a token reaches this server (it may spell it differently).</summary>
    private bool IsOwnAddress(object? address) => _listener is { } listener && PickledAddress.Reaches(address, listener.Address);

    /// <summary>One line of the server's log, <c>manager ADDRESS: message</c>.</summary>
    private void Log(string message, LogLevel level = LogLevel.Information)
    {
        if (_options.Logger is { } logger && logger.IsEnabled(level))
        {
            LogLine(logger, level, Address, message);
        }
    }

    [LoggerMessage(EventId = 1, Message = "manager {Address}: {Message}")]
    private static partial void LogLine(ILogger logger, LogLevel level, string address, string message);
}
