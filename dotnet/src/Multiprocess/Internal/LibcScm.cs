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

    /// <summary>How long <see cref="SendFds"/> waits for the receiver's acknowledgement (connection.py's
    /// CONNECTION_TIMEOUT).</summary>
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(20);

    [LibraryImport(LibcShm.Libc, EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    private const int MSG_NOSIGNAL = 0x4000;

    /// <summary>reduction.sendfds(sock, fds), then the acknowledgement: CPython 3.14's <c>recvfds</c> (and
    /// multiprocess 0.70.19's) always answers one byte <c>b'A'</c> and its <c>sendfds</c> waits for it; 3.8–3.13 answer
    /// only on macOS and close the socket instead. So this waits for <c>'A'</c> or end of stream, either of which says
    /// the receiver has the fds, and a 3.14 receiver never sees its acknowledgement fail.</summary>
    /// <exception cref="IOException">sendmsg failed, the receiver sent something else, or nothing came within 20 s.</exception>
    public static void SendFds(int socketFd, ReadOnlySpan<int> fds)
    {
        SendFdsCore(socketFd, fds);
        if (!SocketNative.PollReadable(socketFd, Deadline.From(AckTimeout)))
        {
            throw new IOException($"no acknowledgement (b'A' or end of stream) after sending {fds.Length} fd(s) on fd {socketFd} within {AckTimeout.TotalSeconds:0} s");
        }

        byte ack = 0;
        nint n;
        while ((n = LibcPipe.Read(socketFd, &ack, 1)) < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR)
        {
        }

        if (n > 0 && ack != (byte)'A')
        {
            throw new IOException($"expected the acknowledgement b'A' after sending fds on fd {socketFd}, got byte 0x{ack:x2}");
        }

        // n == 0 (the receiver closed: 3.8–3.13) or n < 0 (ECONNRESET: it closed with our data unread) also mean
        // it took the message.
    }

    private static void SendFdsCore(int socketFd, ReadOnlySpan<int> fds)
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

        // recvfds's acknowledgement (3.14 always sends it, and its sendfds waits for it); a sender that does not
        // read it (3.8–3.13) has closed or will close the socket, so a failure here changes nothing.
        var ack = (byte)'A';
        _ = Send(socketFd, &ack, 1, MSG_NOSIGNAL);
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
