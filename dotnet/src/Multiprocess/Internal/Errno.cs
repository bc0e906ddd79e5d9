namespace Multiprocess.Internal;

/// <summary>The Linux errno values this engine branches on (asm-generic/errno-base.h, errno.h).</summary>
internal static class Errno
{
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EBADF = 9;
    internal const int ECHILD = 10;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EEXIST = 17;
    internal const int EINVAL = 22;
    internal const int EPIPE = 32;
    internal const int ETIMEDOUT = 110;
}
