using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// The few libc calls the connection layer needs that .NET does not expose: socketpair(2), pipe2(2), poll(2) over
/// arbitrary fds, and FD_CLOEXEC. Constants are Linux's (identical on x86-64 and arm64).
/// </summary>
internal static unsafe partial class SocketNative
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x001;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;
    public const short POLLRDHUP = 0x2000;
    public const int IPPROTO_TCP = 6;
    public const int TCP_QUICKACK = 12;
    public const int SOL_SOCKET = 1;
    public const int SO_REUSEADDR = 2;
    public const int EINTR = 4;
    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int O_NONBLOCK = 0x800;
    public const int FD_CLOEXEC = 1;
    public const int SO_RCVTIMEO = 20;
    public const int EAGAIN = 11;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SO_DOMAIN = 39;
    public const int SIOCOUTQ = 0x5411;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(LibcShm.Libc, EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPairNative(int domain, int type, int protocol, int* sv);

    [LibraryImport(LibcShm.Libc, EntryPoint = "poll", SetLastError = true)]
    private static partial int PollNative(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(LibcShm.Libc, EntryPoint = "recv", SetLastError = true)]
    private static partial nint RecvNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibcShm.Libc, EntryPoint = "send", SetLastError = true)]
    private static partial nint SendNative(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibcShm.Libc, EntryPoint = "getsockopt")]
    private static partial int GetSockOptNative(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(LibcShm.Libc, EntryPoint = "ioctl")]
    private static partial int IoctlNative(int fd, nuint request, int* value);

    [LibraryImport(LibcShm.Libc, EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOptNative(int fd, int level, int name, void* value, uint length);

    /// <summary>struct timeval (64-bit fields on x86-64 and arm64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>Whether the fd is in blocking mode (O_NONBLOCK clear); false if fcntl fails.</summary>
    public static bool IsBlocking(int fd)
    {
        var flags = LibcPipe.Fcntl(fd, F_GETFL, 0);
        return flags >= 0 && (flags & O_NONBLOCK) == 0;
    }

    /// <summary>Sets SO_RCVTIMEO: a blocking recv(2) on the socket then fails with EAGAIN after this long.</summary>
    /// <returns>False if setsockopt failed (not a socket: a pipe fd).</returns>
    public static bool SetReceiveTimeout(int fd, int milliseconds)
    {
        var tv = new TimeVal { Seconds = milliseconds / 1000, Microseconds = milliseconds % 1000 * 1000L };
        return SetSockOptNative(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, (uint)sizeof(TimeVal)) == 0;
    }

    /// <summary>Whether the fd is an AF_UNIX socket (SO_DOMAIN); false if it is not a socket.</summary>
    public static bool IsUnixSocket(int fd)
    {
        int domain;
        var length = (uint)sizeof(int);
        return GetSockOptNative(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 && domain == AF_UNIX;
    }

    /// <summary>
    /// The bytes this AF_UNIX socket sent that its peer has not read yet (SIOCOUTQ: for a stream socket, what the peer
    /// has not consumed of the messages still queued to it); -1 if the ioctl failed.
    /// </summary>
    public static int UnreadOutput(int fd)
    {
        int value;
        return IoctlNative(fd, SIOCOUTQ, &value) == 0 ? value : -1;
    }

    /// <summary>recv(2) flag: return the bytes without taking them off the socket.</summary>
    public const int MSG_PEEK = 0x2;

    /// <summary>recv(2) flag: do not wait (EAGAIN if nothing is there).</summary>
    public const int MSG_DONTWAIT = 0x40;

    /// <summary>One recv(2), EINTR retried.</summary>
    /// <returns>The bytes read (0: end of stream), or -errno.</returns>
    public static int Recv(int fd, Span<byte> buffer, int flags = 0)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = RecvNative(fd, p, (nuint)buffer.Length, flags);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>One send(2) with MSG_NOSIGNAL (a closed peer is EPIPE, not SIGPIPE), EINTR retried.</summary>
    /// <returns>The bytes written, or -errno.</returns>
    public static int Send(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = SendNative(fd, p, (nuint)buffer.Length, MSG_NOSIGNAL);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): what Python's <c>socket.socketpair()</c> makes.</summary>
    public static (int First, int Second) SocketPair()
    {
        int* sv = stackalloc int[2];
        if (SocketPairNative(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        {
            ThrowHelper.ThrowErrno("socketpair(AF_UNIX, SOCK_STREAM)", Marshal.GetLastPInvokeError());
        }

        return (sv[0], sv[1]);
    }

    /// <summary>pipe2(O_CLOEXEC): a one-way pipe, (read end, write end), as Python's <c>os.pipe()</c>.</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (LibcPipe.Pipe2(fds, O_CLOEXEC) != 0)
        {
            ThrowHelper.ThrowErrno("pipe2(O_CLOEXEC)", Marshal.GetLastPInvokeError());
        }

        return (fds[0], fds[1]);
    }

    /// <summary>Closes an fd that no SafeHandle owns yet (error paths only).</summary>
    public static void Close(int fd) => _ = LibcPipe.Close(fd);

    /// <summary>Sets FD_CLOEXEC so children started later (Process.Start, posix_spawn) do not inherit the fd.</summary>
    public static void SetCloseOnExec(int fd)
    {
        var flags = LibcPipe.Fcntl(fd, F_GETFD, 0);
        if (flags < 0 || LibcPipe.Fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        {
            ThrowHelper.ThrowErrno($"fcntl(fd {fd}, F_SETFD, FD_CLOEXEC)", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>
    /// poll(2) for readability (data, EOF, hang-up or error all count: any nonzero revents), retrying EINTR with the
    /// timeout recomputed from the deadline, as CPython's <c>wait()</c> does.
    /// </summary>
    /// <param name="fds">The fds; Revents is filled in.</param>
    /// <param name="deadline">A <see cref="Stopwatch"/> timestamp, or <see cref="Deadline.Infinite"/>.</param>
    /// <returns>How many fds are ready (0 on timeout).</returns>
    public static int PollReadable(Span<PollFd> fds, long deadline)
    {
        for (var i = 0; i < fds.Length; i++)
        {
            fds[i].Events = POLLIN;
            fds[i].Revents = 0;
        }

        fixed (PollFd* p = fds)
        {
            while (true)
            {
                var rc = PollNative(p, (nuint)fds.Length, Deadline.RemainingMilliseconds(deadline));
                if (rc >= 0)
                {
                    return rc;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    ThrowHelper.ThrowErrno($"poll() over {fds.Length} fd(s)", errno);
                }

                if (deadline != Deadline.Infinite && Stopwatch.GetTimestamp() >= deadline)
                {
                    return 0;
                }
            }
        }
    }

    /// <summary>
    /// Whether the peer of a socket has hung up, without reading: one poll(2) with a zero timeout, where POLLRDHUP
    /// (the peer closed its end: TCP FIN, AF_UNIX close), POLLHUP, POLLERR or POLLNVAL mean gone and readable data
    /// alone does not.
    /// </summary>
    public static bool IsPeerClosed(int fd)
    {
        if (fd < 0)
        {
            return true;
        }

        PollFd p;
        p.Fd = fd;
        p.Events = POLLIN | POLLRDHUP;
        p.Revents = 0;
        var n = PollNative(&p, 1, 0);
        return n > 0 && (p.Revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
    }

    /// <summary>
    /// Waits up to <paramref name="milliseconds"/> (more than 0) for one fd to be readable: one poll(2) with that
    /// timeout; only an interrupted one (EINTR) goes on to wait for the time left through a deadline.
    /// </summary>
    /// <returns>Whether the fd is readable (data, end of stream, hang-up or error); false on timeout.</returns>
    public static bool WaitReadable(int fd, int milliseconds)
    {
        PollFd p;
        p.Fd = fd;
        p.Events = POLLIN;
        p.Revents = 0;
        var start = Stopwatch.GetTimestamp();
        var rc = PollNative(&p, 1, milliseconds);
        if (rc >= 0)
        {
            return rc > 0;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != EINTR)
        {
            ThrowHelper.ThrowErrno($"poll() on fd {fd}", errno);
        }

        return PollReadable(fd, start + (long)(milliseconds * (Stopwatch.Frequency / 1000.0)));
    }

    /// <summary>Polls one fd for readability until the deadline.</summary>
    public static bool PollReadable(int fd, long deadline)
    {
        Span<PollFd> one = [new PollFd { Fd = fd }];
        return PollReadable(one, deadline) > 0;
    }
}
