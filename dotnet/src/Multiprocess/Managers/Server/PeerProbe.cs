using System.Runtime.InteropServices;

namespace Multiprocess.Managers.Server;

/// <summary>
/// Has the client hung up? One poll(2) with a zero timeout: POLLRDHUP (peer closed its end: TCP FIN, AF_UNIX close),
/// POLLHUP or POLLERR mean gone; readable data alone does not (only a misbehaving client sends before its reply).
/// </summary>
internal static unsafe partial class PeerProbe
{
    private const short PollIn = 0x001;
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const short PollNval = 0x020;
    private const short PollRdHup = 0x2000;

    /// <summary>True when the socket's peer is gone (or the fd is invalid).</summary>
    public static bool IsGone(int fd)
    {
        if (fd < 0)
        {
            return true;
        }

        PollFd p;
        p.Fd = fd;
        p.Events = PollIn | PollRdHup;
        p.Revents = 0;
        var n = poll(&p, 1, 0);
        return n > 0 && (p.Revents & (PollRdHup | PollHup | PollErr | PollNval)) != 0;
    }

    [LibraryImport("libc.so.6", EntryPoint = "poll", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint nfds, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
