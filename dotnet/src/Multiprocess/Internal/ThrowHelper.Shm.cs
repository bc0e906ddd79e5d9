using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>Throw helpers of shared memory, semaphores and the resource tracker (kept out of hot paths).</summary>
internal static partial class ThrowHelper
{
    /// <summary>Throws the exception Python's OSError subclass maps to, with CPython's message:
    /// <c>[Errno 2] No such file or directory: '/psm_x'</c>.</summary>
    [DoesNotReturn]
    internal static void ThrowOSError(int errno, string? filename = null) => throw OSError(errno, filename);

    /// <summary>Builds (without throwing) the exception for an errno: ENOENT → <see cref="FileNotFoundException"/>,
    /// EACCES → <see cref="UnauthorizedAccessException"/>, anything else (EEXIST included) → <see cref="IOException"/>.
    /// The errno is kept in <c>Data["errno"]</c>.</summary>
    internal static Exception OSError(int errno, string? filename = null)
    {
        var message = $"[Errno {errno}] {Marshal.GetPInvokeErrorMessage(errno)}" + (filename is null ? "" : $": '{filename}'");
        Exception e = errno switch
        {
            Multiprocess.Internal.Errno.ENOENT => new FileNotFoundException(message, filename),
            Multiprocess.Internal.Errno.EACCES => new UnauthorizedAccessException(message),
            _ => new IOException(message),
        };
        e.Data["errno"] = errno;
        return e;
    }

    /// <summary>The errno of the last P/Invoke made with SetLastError.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();

    [DoesNotReturn]
    internal static void ThrowLastOSError(string? filename = null) => throw OSError(Marshal.GetLastPInvokeError(), filename);

    [DoesNotReturn]
    internal static void ThrowObjectDisposed(string what) => throw new ObjectDisposedException(what);
}
