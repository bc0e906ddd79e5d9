using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// POSIX shared memory and the file calls around it, from glibc (docs/native.md: everything lives in libc.so.6).
/// Flag values are Linux's (x86-64 and arm64 agree on all of them).
/// </summary>
internal static partial class LibcShm
{
    internal const string Libc = "libc.so.6";

    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_CLOEXEC = 0x80000;

    internal const int PROT_READ = 0x1;
    internal const int PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x1;

    // struct stat: st_size is at byte 48 on both x86-64 and the generic (arm64) layout; the struct is 144 / 128 bytes.
    private const int StatBufferSize = 256;
    private const int StatSizeOffset = 48;

    internal static readonly IntPtr MapFailed = new(-1);

    [LibraryImport(Libc, EntryPoint = "shm_open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int ShmOpen(string name, int oflag, uint mode);

    [LibraryImport(Libc, EntryPoint = "shm_unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int ShmUnlink(string name);

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int oflag, uint mode);

    [LibraryImport(Libc, EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Unlink(string path);

    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
    internal static partial int Ftruncate(int fd, long length);

    [LibraryImport(Libc, EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int Fstat(int fd, byte* buffer);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    internal static partial IntPtr Mmap(IntPtr address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    internal static partial int Munmap(IntPtr address, nuint length);

    /// <summary>fstat(2)'s st_size, or -1 with errno set.</summary>
    internal static unsafe long FstatSize(int fd)
    {
        var buffer = stackalloc byte[StatBufferSize];
        return Fstat(fd, buffer) < 0 ? -1 : *(long*)(buffer + StatSizeOffset);
    }
}
