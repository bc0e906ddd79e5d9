using Multiprocess.Connection;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// One manager server the shim runs inside its CPython process: the engine's <see cref="SyncManagerServer"/> plus the
/// type ids whose objects Python makes (<see cref="PythonReferent"/>).
/// </summary>
internal sealed class ManagerHost : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>?> _methodToTypeid = new(StringComparer.Ordinal);

    public ManagerHost(long handle, ConnectionAddress? address, byte[] authKey, SyncManagerServerOptions options)
    {
        Handle = handle;
        Server = new SyncManagerServer(address, authKey, options);
    }

    /// <summary>Gets the handle the shim knows this server by (its Python callables are filed under it).</summary>
    public long Handle { get; }

    public SyncManagerServer Server { get; }

    /// <summary>
    /// Registers a type id served by Python: <c>create</c> calls the Python callable (when <paramref name="creatable"/>),
    /// methods run in Python; <paramref name="exposed"/> and <paramref name="methodToTypeid"/> as in <c>register</c>.
    /// </summary>
    public void RegisterPython(string typeId, bool creatable, IReadOnlyList<string>? exposed, IReadOnlyDictionary<string, string>? methodToTypeid)
    {
        _methodToTypeid[typeId] = methodToTypeid;
        Func<PyTuple, PyDict, object?>? factory = creatable
            ? (args, kwargs) => PythonReferent.FromReply(PythonCallback.Invoke(new PyTuple("create", Handle, typeId, args, kwargs)), typeId, this)
            : null;
        Server.Register(typeId, factory, exposed, methodToTypeid);
    }

    /// <summary>Returns the <c>method_to_typeid</c> of a Python type id, or null.</summary>
    public IReadOnlyDictionary<string, string>? MethodToTypeid(string typeId) =>
        _methodToTypeid.TryGetValue(typeId, out var map) ? map : null;

    /// <summary>The address in the form Python's manager and tokens use: <c>(host, port)</c>, a path, or <c>'\0name'</c>.</summary>
    public object PythonAddress() => Server.BoundAddress switch
    {
        InetAddress inet => PyTuple.Create(inet.Host, (long)inet.Port),
        UnixPathAddress path => path.Path,
        UnixAbstractAddress abs => "\0" + abs.Name,
        var other => other.ToString(),
    };

    public void Dispose() => Server.Dispose();
}
