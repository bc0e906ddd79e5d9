using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>read(2), write(2), close(2), flock(2) and dup(2) on raw fds: queues read exactly one frame at a time from a pipe other
/// processes read too, so nothing may sit in a user-space read-ahead buffer.</summary>
internal static unsafe partial class LibcPipe
{
    [LibraryImport(LibcShm.Libc, EntryPoint = "read", SetLastError = true)]
    internal static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(LibcShm.Libc, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(LibcShm.Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>flock(2): an advisory lock on an open file description, dropped by the kernel when its holder dies.</summary>
    [LibraryImport(LibcShm.Libc, EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport(LibcShm.Libc, EntryPoint = "dup", SetLastError = true)]
    internal static partial int Dup(int fd);

    [LibraryImport(LibcShm.Libc, EntryPoint = "chdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int ChDir(string path);
}
