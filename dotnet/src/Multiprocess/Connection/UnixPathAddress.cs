using System.Net;
using System.Net.Sockets;

namespace Multiprocess.Connection;

/// <summary>An AF_UNIX socket file, Python's <c>str</c> path address. A listener removes the file when it closes.</summary>
/// <param name="Path">The file path (at most 107 bytes, the size of <c>sun_path</c> less its NUL).</param>
public sealed record UnixPathAddress(string Path) : ConnectionAddress
{
    /// <inheritdoc/>
    public override ConnectionFamily Family => ConnectionFamily.Unix;

    /// <summary>Returns the path; a relative path without a <c>/</c> gets <c>./</c> so it reads back as a path.</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => Path.Contains('/', StringComparison.Ordinal) ? Path : "./" + Path;

    /// <inheritdoc/>
    internal override EndPoint ToEndPoint(bool forListening) => new UnixDomainSocketEndPoint(Path);
}
