using Multiprocess.Connection;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Server;

namespace Multiprocess.Interop;

/// <summary>
/// One manager server of the shim, inside its CPython process or in a server process of its own: the engine's <see cref="SyncManagerServer"/> plus the
/// type ids whose objects Python makes (<see cref="PythonReferent"/>, run by <see cref="InProcessPython"/>, or by the owner of a server process: <see cref="OwnerPython"/>).
/// </summary>
internal sealed class ManagerHost : IDisposable
{
    // registry: the key the Python side files this server's callables under (server_new: the handle; server_open: the
    // shim's own key, filed before the server starts).
    public ManagerHost(long handle, long registry, ConnectionAddress? address, byte[] authKey, SyncManagerServerOptions options, IPythonRunner python)
    {
        Handle = handle;
        Server = new SyncManagerServer(address, authKey, options);
        Server.UsePython(new PythonTypeIds(python, registry));
    }

    /// <summary>Gets the handle the shim knows this server by (its Python callables are filed under it).</summary>
    public long Handle { get; }

    public SyncManagerServer Server { get; }

    /// <summary>
    /// Registers a type id served by Python: <c>create</c> calls the Python callable (when <paramref name="creatable"/>),
    /// methods run in Python; <paramref name="exposed"/> and <paramref name="methodToTypeid"/> as in <c>register</c>.
    /// </summary>
    public void RegisterPython(string typeId, bool creatable, IReadOnlyList<string>? exposed, IReadOnlyDictionary<string, string>? methodToTypeid) =>
        Server.Core.RegisterPython(typeId, creatable, exposed, methodToTypeid);

    /// <summary>The address as Python's manager and tokens hold it (<see cref="SyncManagerServer.PythonAddress"/>).</summary>
    public object PythonAddress() => Server.PythonAddress;

    public void Dispose() => Server.Dispose();
}
