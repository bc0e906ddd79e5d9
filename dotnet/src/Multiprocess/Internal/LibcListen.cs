using System.Runtime.InteropServices;
using System.Text;

namespace Multiprocess.Internal;

/// <summary>
/// A listening AF_UNIX socket as a bare fd, for a listener that another process serves (the forkserver's): .NET's
/// <see cref="System.Net.Sockets.Socket"/> removes its socket file when disposed, which would take the address away from
/// the process that still listens on it.
/// </summary>
internal static unsafe partial class LibcListen
{
    private const int SunPathLength = 108;

    [LibraryImport(LibcShm.Libc, EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(LibcShm.Libc, EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, uint length);

    [LibraryImport(LibcShm.Libc, EntryPoint = "listen", SetLastError = true)]
    private static partial int Listen(int fd, int backlog);

    /// <summary>socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC), bind to <paramref name="path"/>, listen (backlog 128, as
    /// Python's <c>listen()</c> on Linux); returns the fd.</summary>
    /// <exception cref="ArgumentException">The path does not fit <c>sun_path</c>.</exception>
    /// <exception cref="IOException">A call failed; the message names it and the path.</exception>
    public static int ListenUnix(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length >= SunPathLength)
        {
            throw new ArgumentException($"AF_UNIX path too long ({bytes.Length} bytes, at most {SunPathLength - 1}): {path}", nameof(path));
        }

        var fd = Socket(SocketNative.AF_UNIX, SocketNative.SOCK_STREAM | SocketNative.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw ThrowHelper.Errno("socket(AF_UNIX)", Marshal.GetLastPInvokeError());
        }

        var address = stackalloc byte[2 + SunPathLength];
        new Span<byte>(address, 2 + SunPathLength).Clear();
        *(ushort*)address = SocketNative.AF_UNIX;
        bytes.CopyTo(new Span<byte>(address + 2, SunPathLength));
        if (Bind(fd, address, (uint)(2 + bytes.Length + 1)) < 0 || Listen(fd, 128) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibcPipe.Close(fd);
            throw ThrowHelper.Errno($"bind/listen on AF_UNIX '{path}'", errno);
        }

        return fd;
    }
}
