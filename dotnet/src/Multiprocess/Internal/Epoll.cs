using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// epoll(7), for watching many idle sockets from one thread. The sockets stay in blocking mode (epoll only reports
/// readiness), so the thread that serves a socket once it is readable uses plain blocking reads: the runtime's own
/// socket engine would switch them to O_NONBLOCK for good, and every synchronous read after that would wait for its
/// epoll thread, one more wake-up per message.
/// </summary>
internal static unsafe partial class Epoll
{
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLONESHOT = 1u << 30;

    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;

    /// <summary>struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.</summary>
    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>Gets the size of one struct epoll_event.</summary>
    public static int EventSize => s_packed ? 12 : 16;

    [LibraryImport(LibcShm.Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int CreateNative(int flags);

    [LibraryImport(LibcShm.Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int CtlNative(int epfd, int op, int fd, byte* ev);

    [LibraryImport(LibcShm.Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int WaitNative(int epfd, byte* events, int maxevents, int timeout);

    /// <summary>epoll_create1(EPOLL_CLOEXEC).</summary>
    public static int Create()
    {
        var fd = CreateNative(EPOLL_CLOEXEC);
        if (fd < 0)
        {
            ThrowHelper.ThrowErrno("epoll_create1(EPOLL_CLOEXEC)", Marshal.GetLastPInvokeError());
        }

        return fd;
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>; the events report <paramref name="data"/>.</summary>
    public static void Add(int epfd, int fd, uint events, long data)
    {
        byte* ev = stackalloc byte[16];
        Write(ev, events, data);
        if (CtlNative(epfd, EPOLL_CTL_ADD, fd, ev) != 0)
        {
            ThrowHelper.ThrowErrno($"epoll_ctl(EPOLL_CTL_ADD, fd {fd})", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; false if it was not watched (or is closed).</summary>
    public static bool Remove(int epfd, int fd)
    {
        byte* ev = stackalloc byte[16];
        return CtlNative(epfd, EPOLL_CTL_DEL, fd, ev) == 0;
    }

    /// <summary>Waits for events into <paramref name="buffer"/> (<see cref="EventSize"/> bytes each); EINTR counts as none.</summary>
    /// <returns>How many events arrived.</returns>
    public static int Wait(int epfd, Span<byte> buffer, int timeoutMs)
    {
        fixed (byte* p = buffer)
        {
            var n = WaitNative(epfd, p, buffer.Length / EventSize, timeoutMs);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != SocketNative.EINTR)
            {
                ThrowHelper.ThrowErrno("epoll_wait", errno);
            }

            return 0;
        }
    }

    /// <summary>Reads event <paramref name="index"/> of a <see cref="Wait"/> buffer.</summary>
    public static (uint Events, long Data) Read(ReadOnlySpan<byte> buffer, int index)
    {
        var e = buffer.Slice(index * EventSize, EventSize);
        return (MemoryMarshal.Read<uint>(e), MemoryMarshal.Read<long>(e[(s_packed ? 4 : 8)..]));
    }

    private static void Write(byte* ev, uint events, long data)
    {
        *(uint*)ev = events;
        *(long*)(ev + (s_packed ? 4 : 8)) = data;
    }
}
