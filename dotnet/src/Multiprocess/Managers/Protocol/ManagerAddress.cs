using System.Text;
using Multiprocess.Connection;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Protocol;

/// <summary>
/// Converts between <see cref="ConnectionAddress"/> and the Python object a manager keeps in a token's
/// <c>address</c>: <c>(host, port)</c> for AF_INET, a <c>str</c> path for AF_UNIX, and for a Linux abstract name
/// the <c>bytes</c> <c>b'\0name'</c> that <c>socket.getsockname()</c> returns (which is what <c>Server.address</c>
/// holds, so it must be bytes for the server to recognise its own proxies).
/// </summary>
internal static class ManagerAddress
{
    /// <summary>Returns the Python form of <paramref name="address"/>.</summary>
    public static object ToPython(ConnectionAddress address) => address switch
    {
        InetAddress inet => PyTuple.Create(inet.Host, (long)inet.Port),
        UnixPathAddress path => path.Path,
        UnixAbstractAddress abs => AbstractBytes(abs.Name),
        _ => throw new ArgumentException($"Unsupported address type {address.GetType().Name} ('{address}')", nameof(address)),
    };

    /// <summary>Reads a Python address object; throws naming the value when it is none of the forms.</summary>
    public static ConnectionAddress FromPython(object? value)
    {
        switch (value)
        {
            case PyTuple { Count: 2 } t when t[0] is string host && t[1] is long port:
                return new InetAddress(host, checked((int)port));
            case PyTuple { Count: 4 } t when t[0] is string host6 && t[1] is long port6:
                return new InetAddress(host6, checked((int)port6)); // AF_INET6 (host, port, flowinfo, scope_id)
            case string s when s.Length > 0 && s[0] == '\0':
                return new UnixAbstractAddress(s[1..]);
            case string s when s.Length > 0:
                return new UnixPathAddress(s);
            case byte[] b when b.Length > 0 && b[0] == 0:
                return new UnixAbstractAddress(Encoding.UTF8.GetString(b, 1, b.Length - 1));
            case byte[] b when b.Length > 0:
                return new UnixPathAddress(Encoding.UTF8.GetString(b));
            default:
                throw new ArgumentException($"{PyRepr.Repr(value)} is not a manager address: expected (host, port), a str path or b'\\0name'", nameof(value));
        }
    }

    private static byte[] AbstractBytes(string name)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(name) + 1]; // leading NUL + name
        Encoding.UTF8.GetBytes(name, bytes.AsSpan(1));
        return bytes;
    }
}
