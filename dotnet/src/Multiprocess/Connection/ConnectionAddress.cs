using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// Where a <see cref="Listener"/> listens and a <see cref="Client"/> connects, mirroring Python's address forms:
/// <see cref="InetAddress"/> for a <c>(host, port)</c> tuple, <see cref="UnixPathAddress"/> for a <c>str</c> path,
/// <see cref="UnixAbstractAddress"/> for a Linux abstract name (<c>'\0name'</c>).
/// </summary>
/// <remarks>
/// The text form (the <c>multiprocess</c> command line) is <c>host:port</c>, <c>[v6addr]:port</c>, a path that
/// contains <c>/</c>, or <c>@name</c>; <see cref="Parse"/> reads it and <see cref="ToString"/> writes it.
/// </remarks>
public abstract record ConnectionAddress
{
    private protected ConnectionAddress()
    {
    }

    /// <summary>Gets the socket family this address belongs to.</summary>
    public abstract ConnectionFamily Family { get; }

    /// <summary>
    /// Parses the text form: <c>host:port</c>, <c>[v6addr]:port</c>, a path containing <c>/</c> (AF_UNIX), or
    /// <c>@name</c> (abstract AF_UNIX).
    /// </summary>
    /// <param name="text">The address text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException"><paramref name="text"/> is none of the forms; the message quotes it.</exception>
    public static ConnectionAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var address, out var problem))
        {
            throw new FormatException($"'{text}' is not a connection address: {problem}. Expected host:port, [v6addr]:port, a path containing '/', or @name");
        }

        return address;
    }

    /// <summary>Parses the text form, returning <see langword="false"/> instead of throwing.</summary>
    /// <param name="text">The address text.</param>
    /// <param name="address">The address, when the text is valid.</param>
    /// <returns>Whether the text was valid.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConnectionAddress? address) =>
        TryParse(text, out address, out _);

    /// <summary>Parses a comma-separated list of addresses (the <c>echo serve</c> argument).</summary>
    /// <param name="text">The list.</param>
    /// <returns>The addresses, in order.</returns>
    /// <exception cref="FormatException">An element is not an address; the message quotes it.</exception>
    public static IReadOnlyList<ConnectionAddress> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split(',').Select(Parse).ToList();
    }

    /// <summary>
    /// Returns a fresh address for <paramref name="family"/>, as Python's <c>arbitrary_address</c>: AF_INET
    /// <c>('localhost', 0)</c>; AF_INET6 <c>('::1', 0)</c>; AF_UNIX <c>&lt;tmp&gt;/pymp-XXXXXXXX/listener-YYYYYYYY</c>
    /// in a private (0700) folder of this process that is removed at exit.
    /// </summary>
    /// <param name="family">The family.</param>
    /// <returns>The address.</returns>
    /// <exception cref="IOException">The temporary folder could not be created.</exception>
    public static ConnectionAddress Arbitrary(ConnectionFamily family) => family switch
    {
        ConnectionFamily.Inet => new InetAddress("localhost", 0),
        ConnectionFamily.Inet6 => new InetAddress("::1", 0),
        ConnectionFamily.Unix => new UnixPathAddress(TempDirectory.NewListenerPath()),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown connection family"),
    };

    /// <summary>
    /// Returns a fresh abstract AF_UNIX address as the <c>multiprocess</c> library (dill's fork) picks by default on
    /// Linux: <c>'\0listener-&lt;pid&gt;-&lt;n&gt;'</c>, n counting from 0 in this process.
    /// </summary>
    /// <returns>The address.</returns>
    public static UnixAbstractAddress ArbitraryAbstract() =>
        new(string.Create(CultureInfo.InvariantCulture, $"listener-{Environment.ProcessId}-{Interlocked.Increment(ref s_abstractCounter) - 1}"));

    /// <summary>Returns the text form (<c>host:port</c>, <c>[v6]:port</c>, the path, or <c>@name</c>).</summary>
    /// <returns>The text that <see cref="Parse"/> reads back.</returns>
    public abstract override string ToString();

    /// <summary>Python's name of the family: <c>AF_INET</c>, <c>AF_INET6</c> or <c>AF_UNIX</c>.</summary>
    internal string FamilyName => Family switch
    {
        ConnectionFamily.Inet => "AF_INET",
        ConnectionFamily.Inet6 => "AF_INET6",
        _ => "AF_UNIX",
    };

    /// <summary>The endpoint to bind or connect to.</summary>
    internal abstract EndPoint ToEndPoint(bool forListening);

    /// <summary>The socket family of the endpoint.</summary>
    internal AddressFamily AddressFamily => Family switch
    {
        ConnectionFamily.Inet => AddressFamily.InterNetwork,
        ConnectionFamily.Inet6 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unix,
    };

    /// <summary>The address an OS endpoint stands for (getsockname/getpeername); null for an unbound AF_UNIX peer.</summary>
    internal static ConnectionAddress? FromEndPoint(EndPoint? endPoint, string? hostHint = null) => endPoint switch
    {
        IPEndPoint ip => new InetAddress(hostHint ?? ip.Address.ToString(), ip.Port),
        UnixDomainSocketEndPoint unix => FromUnixPath(unix.ToString()),
        _ => null,
    };

    private static ConnectionAddress? FromUnixPath(string path) => path.Length switch
    {
        0 => null,
        _ when path[0] == '\0' => new UnixAbstractAddress(path[1..]),
        _ => new UnixPathAddress(path),
    };

    private static int s_abstractCounter;

    private static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ConnectionAddress? address, out string problem)
    {
        address = null;
        problem = "";
        if (string.IsNullOrEmpty(text))
        {
            problem = "it is empty";
            return false;
        }

        if (text[0] == '@')
        {
            address = new UnixAbstractAddress(text[1..]);
            return true;
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            address = new UnixPathAddress(text);
            return true;
        }

        string host;
        string portText;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                problem = "a '[' must be followed by an IPv6 address, ']:' and a port";
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                problem = "there is no ':port', no '/' and no leading '@'";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                problem = "an IPv6 host must be written in brackets, [v6addr]:port";
                return false;
            }
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            problem = $"the port '{portText}' is not a number from 0 to {IPEndPoint.MaxPort}";
            return false;
        }

        address = new InetAddress(host, port);
        return true;
    }
}
