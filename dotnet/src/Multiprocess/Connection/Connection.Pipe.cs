using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary><c>Pipe()</c>: two connected connections.</summary>
public sealed partial class Connection
{
    /// <summary>
    /// Returns two connected connections (Python's <c>Pipe(duplex)</c> on POSIX). Duplex: a
    /// <c>socketpair(AF_UNIX, SOCK_STREAM)</c>, both ends read and write. One-way: an OS pipe,
    /// <c>(reader, writer)</c>.
    /// </summary>
    /// <param name="duplex">Whether both ends may send and receive.</param>
    /// <returns>The two ends; for one-way pipes the first only receives and the second only sends.</returns>
    /// <exception cref="IOException">The OS refused (e.g. out of fds).</exception>
    public static (Connection First, Connection Second) Pipe(bool duplex = true)
    {
        if (duplex)
        {
            var (a, b) = SocketNative.SocketPair();
            return (Adopt(a, true, true, b), Adopt(b, true, true, -1));
        }

        var (r, w) = SocketNative.Pipe();
        return (Adopt(r, true, false, w), Adopt(w, false, true, -1));
    }

    /// <summary>Wraps a fresh fd; if that fails, closes it and its still-unowned partner.</summary>
    private static Connection Adopt(int fd, bool readable, bool writable, int partner)
    {
        try
        {
            return FromHandle(fd, readable, writable);
        }
        catch
        {
            SocketNative.Close(fd);
            if (partner >= 0)
            {
                SocketNative.Close(partner);
            }

            throw;
        }
    }
}
