using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Multiprocess.Connection;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Managers.Client;

/// <summary>
/// A client of a manager that Python runs (CPython's <c>multiprocessing.managers.BaseManager</c> after
/// <c>connect()</c>): the manager's address and authkey, the type ids it serves (<see cref="Register"/>), and
/// <see cref="Create(string, object?[])"/> to make shared objects. <see cref="SyncManager"/> adds the standard type ids.
/// </summary>
/// <remarks>
/// <para>
/// Python's "remote manager" example, from C#: the server side runs
/// <c>QueueManager(address=('', 50000), authkey=b'abracadabra').get_server().serve_forever()</c> with
/// <c>QueueManager.register('get_queue', callable=lambda: queue)</c>; the client side is
/// <code>
/// using var m = new BaseManager(new InetAddress("127.0.0.1", 50000), "abracadabra"u8.ToArray());
/// m.Register("get_queue", a => new QueueProxy(a));
/// m.Connect();
/// using var queue = m.Create&lt;QueueProxy&gt;("get_queue");
/// queue.Put("hello");
/// </code>
/// </para>
/// <para>
/// Disposing the client releases the references of the proxies still alive (as Python's proxies do at exit) and
/// closes its connections; it does not stop the manager (<see cref="Shutdown"/> does).
/// </para>
/// </remarks>
public partial class BaseManager : IDisposable, IAsyncDisposable
{
    private static readonly ConditionalWeakTable<BaseManager, object?> s_live = new();
    private static int s_exitHooked;

    private readonly ConcurrentDictionary<string, ProxyRegistration> _registry = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ProxyReference, byte> _references = new();
    private readonly ConcurrentDictionary<ConnectionAddress, ManagerEndpoint> _endpoints = new();
    private readonly ManagerEndpoint _endpoint;
    private readonly byte[] _authKey;
    private int _state;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="BaseManager"/> class (not connected yet).</summary>
    /// <param name="address">The manager's address, as the Python side reports it (e.g. <c>127.0.0.1:50000</c>, a socket path, or <c>@name</c>).</param>
    /// <param name="authKey">The manager's authkey (Python's <c>authkey=b'…'</c>).</param>
    /// <param name="options">How to talk to it; null for <see cref="ManagerOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> or <paramref name="authKey"/> is null.</exception>
    public BaseManager(ConnectionAddress address, byte[] authKey, ManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(authKey);
        Address = address;
        _authKey = (byte[])authKey.Clone();
        Options = options ?? ManagerOptions.Default;
        TypeRegistry = new PyTypeRegistry();
        if (Options.PickleProtocol is < 2 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.PickleProtocol, "ManagerOptions.PickleProtocol must be 2, 3, 4 or 5");
        }

        PickleOptions = new PickleOptions { Registry = TypeRegistry, Protocol = Options.PickleProtocol };
        UnpickleOptions = new UnpickleOptions { Registry = TypeRegistry };
        ProxyBindings.Install(this);
        _endpoint = new ManagerEndpoint(this, address, PickledAddress.ToPython(address), _authKey);
        _endpoints[address] = _endpoint;
        HookProcessExit();
        s_live.AddOrUpdate(this, null);
    }

    /// <summary>Initializes a new instance of the <see cref="BaseManager"/> class from the text form of an address.</summary>
    /// <param name="address"><c>host:port</c>, a socket path containing <c>/</c>, or <c>@name</c> for an abstract socket.</param>
    /// <param name="authKey">The manager's authkey.</param>
    /// <param name="options">How to talk to it; null for the defaults.</param>
    /// <exception cref="FormatException"><paramref name="address"/> is not an address.</exception>
    public BaseManager(string address, byte[] authKey, ManagerOptions? options = null)
        : this(ConnectionAddress.Parse(address), authKey, options)
    {
    }

    /// <summary>Gets the manager's address.</summary>
    public ConnectionAddress Address { get; }

    /// <summary>Gets the options.</summary>
    public ManagerOptions Options { get; }

    /// <summary>Gets the state: <see cref="ManagerState.Started"/> once connected.</summary>
    public ManagerState State => (ManagerState)Volatile.Read(ref _state);

    /// <summary>
    /// Gets the pickle type registry this client reads and writes values with. It knows proxies; add bindings of
    /// your own classes here (<see cref="PyTypeRegistry.Register{T}"/>) to send or receive them.
    /// </summary>
    public PyTypeRegistry TypeRegistry { get; }

    internal PickleOptions PickleOptions { get; }

    internal UnpickleOptions UnpickleOptions { get; }

    /// <summary>Connects: one <c>dummy</c> call checks the address and the authkey (Python's <c>connect()</c>).</summary>
    /// <exception cref="IOException">Nothing listens at the address.</exception>
    /// <exception cref="AuthenticationException">The authkey is wrong.</exception>
    /// <exception cref="RemoteException">The server answered with an error (it is not a manager?).</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public void Connect()
    {
        ThrowIfDisposed();
        _endpoint.Dispatch("dummy", PyTuple.Empty);
        Interlocked.CompareExchange(ref _state, (int)ManagerState.Started, (int)ManagerState.Initial);
    }

    /// <summary>Connects asynchronously (see <see cref="Connect"/>).</summary>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>A task that completes when the manager answered.</returns>
    /// <exception cref="IOException">Nothing listens at the address.</exception>
    /// <exception cref="AuthenticationException">The authkey is wrong.</exception>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _endpoint.DispatchAsync("dummy", PyTuple.Empty, null, cancellationToken).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _state, (int)ManagerState.Started, (int)ManagerState.Initial);
    }

    /// <summary>Releases the references of live proxies (one <c>decref</c> each) and closes the connections. The manager keeps running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var reference in _references.Keys)
        {
            reference.TryClaim();
            reference.DecrefNow();
        }

        CloseEndpoints();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the references of live proxies and closes the connections, asynchronously.</summary>
    /// <returns>A task that completes when every decref was answered.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var reference in _references.Keys)
        {
            reference.TryClaim();
            await reference.DecrefNowAsync().ConfigureAwait(false);
        }

        CloseEndpoints();
        GC.SuppressFinalize(this);
    }

    internal void Track(ProxyReference reference) => _references.TryAdd(reference, 0);

    internal void Untrack(ProxyReference reference) => _references.TryRemove(reference, out _);

    /// <summary>The endpoint for a token's address: this manager's, or one for another manager reached through a proxy in a value (same authkey).</summary>
    internal ManagerEndpoint EndpointFor(ConnectionAddress address, object pythonAddress)
    {
        ThrowIfDisposed();
        return _endpoints.GetOrAdd(address, a => new ManagerEndpoint(this, a, pythonAddress, _authKey));
    }

    private static void HookProcessExit()
    {
        if (Interlocked.Exchange(ref s_exitHooked, 1) == 0)
        {
            // Python's proxies decref at exit (finalizers with exitpriority 10); do the same for clients not disposed.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                DecrefWorker.Drain(TimeSpan.FromSeconds(2));
                foreach (var (manager, _) in s_live)
                {
                    manager.Dispose();
                }
            };
        }
    }

    private void CloseEndpoints()
    {
        foreach (var endpoint in _endpoints.Values)
        {
            endpoint.Dispose();
        }

        s_live.Remove(this);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void EnsureStarted()
    {
        ThrowIfDisposed();
        var state = State;
        if (state != ManagerState.Started)
        {
            // managers.py _create: assert self._state.value == State.STARTED, 'server not yet started'
            throw new InvalidOperationException(state == ManagerState.Initial
                ? $"The manager client for {Address} is not connected: call Connect() first"
                : $"The manager at {Address} was shut down");
        }
    }
}
