using Multiprocess.Connection;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Server;

namespace Multiprocess.Interop;

/// <summary>
/// One manager server the shim runs inside its CPython process: the engine's <see cref="SyncManagerServer"/> plus the
/// type ids whose objects Python makes (<see cref="PythonReferent"/>, run by <see cref="InProcessPython"/>).
/// </summary>
internal sealed class ManagerHost : IDisposable
{
    private readonly PythonTypeIds _python;

    public ManagerHost(long handle, ConnectionAddress? address, byte[] authKey, SyncManagerServerOptions options)
    {
        Handle = handle;
        Server = new SyncManagerServer(address, authKey, options);
        _python = new PythonTypeIds(InProcessPython.Instance, handle);
        Server.UsePython(_python);
    }

    /// <summary>Gets the handle the shim knows this server by (its Python callables are filed under it).</summary>
    public long Handle { get; }

    public SyncManagerServer Server { get; }

    /// <summary>
    /// Registers a type id served by Python: <c>create</c> calls the Python callable (when <paramref name="creatable"/>),
    /// methods run in Python; <paramref name="exposed"/> and <paramref name="methodToTypeid"/> as in <c>register</c>.
    /// </summary>
    public void RegisterPython(string typeId, bool creatable, IReadOnlyList<string>? exposed, IReadOnlyDictionary<string, string>? methodToTypeid) =>
        _python.Register(Server.Core, typeId, creatable, exposed, methodToTypeid);

    /// <summary>The address as Python's manager and tokens hold it (<see cref="SyncManagerServer.PythonAddress"/>).</summary>
    public object PythonAddress() => Server.PythonAddress;

    public void Dispose() => Server.Dispose();
}
