using System.Text;
using Multiprocess.Connection;
using Multiprocess.Pickle;

namespace Multiprocess.Reduction;

/// <summary>
/// Converts between <see cref="ConnectionAddress"/> and the Python object CPython keeps for a listener's address
/// wherever a pickle carries one: a manager's token and <c>Server.address</c> (managers.py), the <c>_id</c> of
/// <c>resource_sharer.DupFd</c>. That object is <c>Listener.address</c>, which is <c>socket.getsockname()</c>:
/// <c>(host, port)</c> for AF_INET, a <c>str</c> path for AF_UNIX, and for a Linux abstract name the <c>bytes</c>
/// <c>b'\0name'</c> (a server must write that form to recognise its own proxies' tokens).
/// </summary>
internal static class PickledAddress
{
    /// <summary>Returns the Python form of <paramref name="address"/>, as <c>getsockname()</c> gives it.</summary>
    public static object ToPython(ConnectionAddress address) => address switch
    {
        InetAddress inet => PyTuple.Create(inet.Host, (long)inet.Port),
        UnixPathAddress path => path.Path,
        UnixAbstractAddress abs => AbstractBytes(abs.Name),
        _ => throw new ArgumentException($"Unsupported address type {address.GetType().Name} ('{address}')", nameof(address)),
    };

    /// <summary>Reads a Python address object; throws naming the value when it is none of the forms.</summary>
    public static ConnectionAddress FromPython(object? value) =>
        TryFromPython(value)
        ?? throw new ArgumentException($"{PyRepr.Repr(value)} is not a connection address: expected (host, port), a str path or b'\\0name'", nameof(value));

    /// <summary>
    /// Reads a Python address object: <c>(host, port)</c> or AF_INET6's <c>(host, port, flowinfo, scope_id)</c>; a
    /// path or <c>'\0name'</c> as <c>str</c> (what a program passes to <c>Listener</c>) or as <c>bytes</c> (what
    /// <c>getsockname()</c> returns for an abstract name: multiprocess 0.70.12 listens there and keeps that value).
    /// Null when it is none of them.
    /// </summary>
    public static ConnectionAddress? TryFromPython(object? value) => value switch
    {
        PyTuple { Count: 2 or 4 } t when t[0] is string host && t[1] is long port => new InetAddress(host, checked((int)port)),
        string { Length: > 0 } s when s[0] == '\0' => new UnixAbstractAddress(s[1..]),
        string { Length: > 0 } s => new UnixPathAddress(s),
        byte[] { Length: > 0 } b when b[0] == 0 => new UnixAbstractAddress(Encoding.UTF8.GetString(b, 1, b.Length - 1)),
        byte[] { Length: > 0 } b => new UnixPathAddress(Encoding.UTF8.GetString(b)),
        _ => null,
    };

    /// <summary>
    /// Whether an address a client wrote (in a token, as Python objects) reaches the listener bound at
    /// <paramref name="bound"/>: clients may spell it differently (any host for the port, a path as str or bytes,
    /// an abstract name as <c>'\0name'</c>, <c>'@name'</c> or <c>b'\0name'</c>).
    /// </summary>
    public static bool Reaches(object? pythonAddress, ConnectionAddress bound) => (bound, pythonAddress) switch
    {
        (InetAddress inet, PyTuple { Count: 2 } t) => t[1] is long port && port == inet.Port,
        (UnixPathAddress path, string s) => s == path.Path,
        (UnixPathAddress path, byte[] b) => Encoding.UTF8.GetString(b) == path.Path,
        (UnixAbstractAddress abs, string s) => s == "\0" + abs.Name || s == "@" + abs.Name,
        (UnixAbstractAddress abs, byte[] b) => Encoding.UTF8.GetString(b) == "\0" + abs.Name,
        _ => false,
    };

    private static byte[] AbstractBytes(string name)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1]; // leading NUL + name
        Encoding.UTF8.GetBytes(name, bytes.AsSpan(1));
        return bytes;
    }
}
