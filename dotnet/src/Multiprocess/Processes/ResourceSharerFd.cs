using System.Globalization;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>
/// CPython's <c>resource_sharer.DupFd</c>: an fd offered by a running process, pickled as NEWOBJ + BUILD
/// <c>{'_id': (address, key)}</c>. <see cref="Detach"/> fetches it (one time) over an authenticated connection and
/// SCM_RIGHTS; both processes must share <see cref="CurrentProcess.AuthKey"/> (one process tree).
/// </summary>
/// <param name="Address">The offering process's resource-sharer listener.</param>
/// <param name="Key">The key of the fd there.</param>
internal sealed record ResourceSharerFd(ConnectionAddress Address, long Key)
{
    /// <summary>The pickled form CPython writes.</summary>
    public PyReduce Reduce(string package) =>
        PyReduce.NewObj(
            PickledShapes.Global(package, "resource_sharer", "DupFd"),
            state: new PyDict { ["_id"] = PyTuple.Create(AddressToPython(Address), Key) });

    /// <summary>Reads CPython's pickled DupFd.</summary>
    public static ResourceSharerFd Rebuild(PyReduce value)
    {
        if (value.State is PyDict state && state.Get("_id") is PyTuple { Count: 2 } id && id[1] is long key
            && AddressFromPython(id[0]) is { } address)
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

    private static object AddressToPython(ConnectionAddress address) => address switch
    {
        UnixPathAddress p => p.Path,
        UnixAbstractAddress a => "\0" + a.Name,
        InetAddress i => PyTuple.Create(i.Host, (long)i.Port),
        _ => throw new ArgumentException($"unsupported address {address}", nameof(address)),
    };

    /// <summary>The listener's address as pickled: a str (a path, or <c>'\0name'</c>), bytes as
    /// <c>getsockname()</c> returns an abstract name (<c>b'\0listener-…'</c>: multiprocess 0.70.12's resource sharer
    /// listens there and keeps that value), or <c>(host, port)</c>.</summary>
    internal static ConnectionAddress? AddressFromPython(object? value) => value switch
    {
        string s when s.StartsWith('\0') => new UnixAbstractAddress(s[1..]),
        string s => new UnixPathAddress(s),
        byte[] { Length: > 1 } b when b[0] == 0 => new UnixAbstractAddress(System.Text.Encoding.UTF8.GetString(b, 1, b.Length - 1)),
        byte[] { Length: > 0 } b => new UnixPathAddress(System.Text.Encoding.UTF8.GetString(b)),
        PyTuple { Count: 2 } t when t[0] is string host && t[1] is long port => new InetAddress(host, checked((int)port)),
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"DupFd({Address}, key {Key})");
}
