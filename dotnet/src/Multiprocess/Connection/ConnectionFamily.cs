namespace Multiprocess.Connection;

/// <summary>The socket families a <see cref="Listener"/> or <see cref="Client"/> can use (Python's <c>family</c> strings).</summary>
public enum ConnectionFamily
{
    /// <summary><c>'AF_INET'</c>: a <c>(host, port)</c> tuple, IPv4.</summary>
    Inet,

    /// <summary><c>'AF_INET6'</c>: a <c>(host, port)</c> tuple, IPv6 (Python needs <c>family='AF_INET6'</c> for it).</summary>
    Inet6,

    /// <summary><c>'AF_UNIX'</c>: a filesystem path, or a Linux abstract name (leading NUL).</summary>
    Unix,
}
