using System.Net;
using System.Net.Sockets;

namespace Multiprocess.Connection;

/// <summary>
/// A Linux abstract AF_UNIX name, Python's <c>'\0name'</c> (or <c>b'\0name'</c>): no file, gone when the last
/// socket closes. <see cref="Name"/> is without the leading NUL.
/// </summary>
/// <param name="Name">The name without the leading NUL.</param>
public sealed record UnixAbstractAddress(string Name) : ConnectionAddress
{
    /// <inheritdoc/>
    public override ConnectionFamily Family => ConnectionFamily.Unix;

    /// <inheritdoc/>
    public override string ToString() => "@" + Name;

    /// <inheritdoc/>
    internal override EndPoint ToEndPoint(bool forListening) => new UnixDomainSocketEndPoint("\0" + Name);
}
