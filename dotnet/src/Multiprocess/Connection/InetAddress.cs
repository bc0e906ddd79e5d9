using System.Net;
using System.Net.Sockets;

namespace Multiprocess.Connection;

/// <summary>
/// A TCP address, Python's <c>(host, port)</c> tuple. An IPv6 literal host (<c>::1</c>) makes it AF_INET6; a host
/// name resolves to IPv4 first, as Python's AF_INET sockets do. Port 0 asks for an ephemeral port.
/// </summary>
/// <param name="Host">A host name or an IPv4/IPv6 literal (IPv6 without brackets); empty means every interface.</param>
/// <param name="Port">The port, 0 to 65535.</param>
public sealed record InetAddress(string Host, int Port) : ConnectionAddress
{
    /// <inheritdoc/>
    public override ConnectionFamily Family =>
        IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? ConnectionFamily.Inet6 : ConnectionFamily.Inet;

    /// <inheritdoc/>
    public override string ToString() => Family == ConnectionFamily.Inet6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <inheritdoc/>
    internal override EndPoint ToEndPoint(bool forListening)
    {
        if (Port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, $"Port {Port} of '{Host}' is outside 0..65535");
        }

        if (Host.Length == 0)
        {
            return new IPEndPoint(IPAddress.Any, Port); // Python: '' is INADDR_ANY
        }

        if (IPAddress.TryParse(Host, out var ip))
        {
            return new IPEndPoint(ip, Port);
        }

        var addresses = Dns.GetHostAddresses(Host, AddressFamily.InterNetwork);
        if (addresses.Length == 0)
        {
            throw new IOException($"Host name '{Host}' has no IPv4 address");
        }

        return new IPEndPoint(addresses[0], Port);
    }
}
