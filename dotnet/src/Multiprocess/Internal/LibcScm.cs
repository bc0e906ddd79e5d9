using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// SCM_RIGHTS over an AF_UNIX stream socket, as CPython's <c>reduction.sendfds</c> / <c>recvfds</c> (docs/protocols.md §2.4):
/// exactly one data byte (the fd count mod 256) and one SOL_SOCKET/SCM_RIGHTS control message of native ints.
/// Layouts are LP64 Linux's: <c>struct msghdr</c> 56 bytes, <c>struct cmsghdr</c> 16 bytes before the data.
/// </summary>
internal static unsafe partial class LibcScm
{
    private const int SOL_SOCKET = 1;
    private const int SCM_RIGHTS = 1;
    private const int MSG_CMSG_CLOEXEC = 0x40000000;
    private const int CmsgHeader = 16;   // cmsg_len (size_t) + cmsg_level (int) + cmsg_type (int)

    [LibraryImport(LibcShm.Libc, EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(LibcShm.Libc, EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int fd, MsgHdr* msg, int flags);

    /// <summary>reduction.sendfds(sock, fds).</summary>
    public static void SendFds(int socketFd, ReadOnlySpan<int> fds)
    {
        var dataLength = fds.Length * sizeof(int);
        var space = CmsgSpace(dataLength);
        var control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        *(nuint*)control = (nuint)(CmsgHeader + dataLength);      // cmsg_len = CMSG_LEN(4 * n)
        *(int*)(control + 8) = SOL_SOCKET;                         // cmsg_level
        *(int*)(control + 12) = SCM_RIGHTS;                        // cmsg_type
        MemoryMarshal.AsBytes(fds).CopyTo(new Span<byte>(control + CmsgHeader, dataLength));

        var data = (byte)(fds.Length % 256);                       // bytes([len(fds) % 256])
        var iov = new IoVec { Base = &data, Length = 1 };
        var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        while (SendMsg(socketFd, &msg, 0) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw ThrowHelper.Errno($"sendmsg(SCM_RIGHTS) on fd {socketFd}", errno);
            }
        }
    }

    /// <summary>reduction.recvfds(sock, size): the fds, close-on-exec.</summary>
    /// <exception cref="EndOfStreamException">The peer closed without sending (EOFError).</exception>
    /// <exception cref="IOException">The message is not one SCM_RIGHTS item of <paramref name="count"/> fds.</exception>
    public static int[] RecvFds(int socketFd, int count)
    {
        var space = CmsgSpace(count * sizeof(int));
        var control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        byte data = 0;
        var iov = new IoVec { Base = &data, Length = 1 };
        var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
        nint n;
        while ((n = RecvMsg(socketFd, &msg, MSG_CMSG_CLOEXEC)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                throw ThrowHelper.Errno($"recvmsg(SCM_RIGHTS) on fd {socketFd}", errno);
            }
        }

        if (n == 0 && msg.ControlLength == 0)
        {
            throw new EndOfStreamException($"the peer closed fd {socketFd} before sending the file descriptor");
        }

        var length = (long)*(nuint*)control;
        if (msg.ControlLength < CmsgHeader || *(int*)(control + 8) != SOL_SOCKET || *(int*)(control + 12) != SCM_RIGHTS
            || (length - CmsgHeader) % sizeof(int) != 0)
        {
            throw new IOException($"expected one SOL_SOCKET/SCM_RIGHTS control message on fd {socketFd}, found {(long)msg.ControlLength} control bytes");
        }

        var fds = new int[(length - CmsgHeader) / sizeof(int)];
        new ReadOnlySpan<byte>(control + CmsgHeader, fds.Length * sizeof(int)).CopyTo(MemoryMarshal.AsBytes(fds.AsSpan()));
        if (fds.Length % 256 != data)
        {
            throw new IOException($"received {fds.Length} fd(s) but the data byte says {data}");
        }

        return fds;
    }

    private static int CmsgSpace(int dataLength) => CmsgHeader + ((dataLength + 7) & ~7);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
