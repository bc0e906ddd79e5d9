using System.Globalization;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>
/// CPython's <c>resource_sharer.DupFd</c>: an fd offered by a running process, pickled as NEWOBJ + BUILD
/// <c>{'_id': (address, key)}</c>. <see cref="Detach"/> fetches it (one time) over an authenticated connection and
/// SCM_RIGHTS; both processes must share <see cref="CurrentProcess.AuthKey"/> (one process tree). The address is the
/// sharer's <c>Listener.address</c>, in <see cref="PickledAddress"/>'s forms.
/// </summary>
/// <param name="Address">The offering process's resource-sharer listener.</param>
/// <param name="Key">The key of the fd there.</param>
internal sealed record ResourceSharerFd(ConnectionAddress Address, long Key)
{
    /// <summary>The pickled form CPython writes.</summary>
    public PyReduce Reduce(string package) =>
        PyReduce.NewObj(
            PickledShapes.Global(package, "resource_sharer", "DupFd"),
            state: new PyDict { ["_id"] = PyTuple.Create(PickledAddress.ToPython(Address), Key) });

    /// <summary>Reads CPython's pickled DupFd.</summary>
    public static ResourceSharerFd Rebuild(PyReduce value)
    {
        if (value.State is PyDict state && state.Get("_id") is PyTuple { Count: 2 } id && id[1] is long key
            && PickledAddress.TryFromPython(id[0]) is { } address)
        {
            return new ResourceSharerFd(address, key);
        }

        throw PickledShapes.Unexpected("NEWOBJ(resource_sharer.DupFd) + BUILD {'_id': (address, key)}", value);
    }

    /// <summary>DupFd.detach(): connect, send <c>(key, pid)</c>, receive the fd.</summary>
    /// <exception cref="IOException">The offering process is gone or refused.</exception>
    /// <exception cref="AuthenticationException">The authkeys differ (not the same process tree).</exception>
    public int Detach()
    {
        using var conn = Client.Connect(Address, CurrentProcess.AuthKey);
        conn.SendBytes(PickleSerializer.Dumps(PyTuple.Create(Key, (long)Environment.ProcessId)));
        return LibcScm.RecvFds(conn.Fileno(), 1)[0];
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"DupFd({Address}, key {Key})");
}
