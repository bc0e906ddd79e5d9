using System.Collections.Concurrent;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// CPython's <c>multiprocessing.managers.Server</c> at the object level, without sockets: the registry, the object
/// table, the public functions of one-shot connections and the method dispatch of <c>serve_client</c>. Requests and
/// replies are unpickled values; <see cref="SyncManagerServer"/> moves them over connections.
/// </summary>
internal sealed partial class Server
{
    private readonly ConcurrentDictionary<string, TypeIdEntry> _registry = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="Server"/> class with SyncManager's type ids.</summary>
    /// <param name="stopping">Cancelled when the server stops (ends blocking calls).</param>
    public Server(CancellationToken stopping)
    {
        Stopping = stopping;
        SyncManagerTypes.RegisterAll(this);
    }

    public CancellationToken Stopping { get; }

    public ObjectTable Objects { get; } = new();

    /// <summary>Gets or sets the address in Python's form (tuple, str, bytes): what tokens in <c>#PROXY</c> replies carry.</summary>
    public object? Address { get; set; }

    /// <summary>Gets or sets the test for "a token's address is this server" (several spellings reach one socket).</summary>
    public Func<object?, bool> IsOwnAddress { get; set; } = _ => false;

    /// <summary>Gets or sets the interpreter that runs Python-backed referents (Pool, Barrier actions, registered callables), or null when there is none.</summary>
    public PythonTypeIds? Python { get; set; }

    /// <summary>Gets the SharedMemoryServer segment tracker, or null when shared memory functions are off.</summary>
    public SegmentTracker? Segments { get; init; }

    /// <summary>Raised (once per request) when a client asked the server to shut down.</summary>
    public event Action? ShutdownRequested;

    public void Register(TypeIdEntry entry) => _registry[entry.TypeId] = entry;

    /// <summary>
    /// Registers a type id served by <see cref="Python"/>: <c>create</c> calls the Python callable (when
    /// <paramref name="creatable"/>), methods run in Python; <paramref name="exposed"/> and
    /// <paramref name="methodToTypeid"/> as in <c>register</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Python"/> is not set.</exception>
    public void RegisterPython(string typeId, bool creatable, IReadOnlyList<string>? exposed, IReadOnlyDictionary<string, string>? methodToTypeid)
    {
        var python = Python ?? throw new InvalidOperationException($"type id '{typeId}' is served by Python, but this server has no Python interpreter");
        python.SetMethodToTypeid(typeId, methodToTypeid);
        Register(new TypeIdEntry(
            typeId,
            creatable ? (args, kwargs, context) => python.Create(typeId, args, kwargs, context) : null,
            exposed?.ToArray(),
            methodToTypeid is null ? null : new Dictionary<string, string>(methodToTypeid, StringComparer.Ordinal)));
    }

    public bool TryGetType(string typeId, out TypeIdEntry entry) => _registry.TryGetValue(typeId, out entry!);

    /// <summary>A connection context for a client (unit tests and the transport use this).</summary>
    public SharedCallContext NewContext(string name, Func<bool>? peerGone = null) => new(name, Stopping, peerGone, Resolve);

    /// <summary>
    /// The shared object a proxy passed in a request stands for, if it is one of this server's (what CPython gets
    /// by calling back into itself through the proxy).
    /// </summary>
    public ISharedObject? Resolve(object? value)
    {
        if (ProxyForms.TryReadProxy(value, out var token) && Token.TryRead(token, out _, out var address, out var ident)
            && Objects.TryGet(ident, out var entry) && (address is null || IsOwnAddress(address) || Address is null))
        {
            return entry.Object;
        }

        return null;
    }

    /// <summary>
    /// Proxies of this server's objects arriving in a request are being stored inside the server: like CPython's
    /// <c>RebuildProxy</c> in the manager process, stash them so they outlive their external references.
    /// </summary>
    public void NoteProxies(object? request)
    {
        ProxyForms.VisitProxies(request, token =>
        {
            if (Token.TryRead(token, out _, out var address, out var ident) && (IsOwnAddress(address) || Address is null))
            {
                Objects.MarkLocalProxy(ident);
            }
        });
    }

    private void OnShutdownRequested() => ShutdownRequested?.Invoke();
}
