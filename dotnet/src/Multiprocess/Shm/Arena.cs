using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Multiprocess.Internal;

namespace Multiprocess.Shm;

/// <summary>
/// An anonymous shared mapping as CPython's <c>multiprocessing.heap.Arena</c> makes one (docs/protocols.md §9.1): a file
/// <c>pym-&lt;pid&gt;-XXXXXXXX</c> in /dev/shm, unlinked at once, kept open and mapped. It has no name, so it is shared
/// only by fd (inheritance, fd passing), the way CPython ships a <see cref="Synchronize.Barrier"/>'s state.
/// </summary>
public sealed class Arena : IDisposable
{
    private const string NameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789_";
    private readonly SafeFileHandle _fd;
    private readonly MappingHandle _mapping;

    /// <summary>Creates an arena of <paramref name="size"/> zeroed bytes.</summary>
    /// <param name="size">The size in bytes (&gt; 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not positive.</exception>
    /// <exception cref="IOException">The file could not be created or mapped.</exception>
    public Arena(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        // heap.Arena._choose_dir: /dev/shm when it has room for the arena (statvfs), else the temp dir.
        var dir = Directory.Exists("/dev/shm") && new DriveInfo("/dev/shm").AvailableFreeSpace >= size ? "/dev/shm" : Path.GetTempPath();
        int fd;
        string path;
        do
        {
            // tempfile.mkstemp(prefix='pym-%d-' % os.getpid(), dir=...): O_EXCL, mode 0600, retried on a clash.
            path = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"pym-{Environment.ProcessId}-{RandomName()}"));
            fd = LibcShm.Open(path, LibcShm.O_RDWR | LibcShm.O_CREAT | LibcShm.O_EXCL | LibcShm.O_CLOEXEC, 0x180);
        }
        while (fd < 0 && ThrowHelper.LastErrno == Errno.EEXIST);

        if (fd < 0)
        {
            ThrowHelper.ThrowLastOSError(path);
        }

        _fd = new SafeFileHandle(fd, ownsHandle: true);
        LibcShm.Unlink(path);
        try
        {
            if (LibcShm.Ftruncate(fd, size) < 0)
            {
                ThrowHelper.ThrowLastOSError(path);
            }

            _mapping = Map(fd, size);
        }
        catch
        {
            _fd.Dispose();
            throw;
        }

        Size = size;
    }

    private Arena(SafeFileHandle fd, MappingHandle mapping, long size)
    {
        _fd = fd;
        _mapping = mapping;
        Size = size;
    }

    /// <summary>Gets the size in bytes.</summary>
    public long Size { get; }

    /// <summary>Gets the address of the first byte (valid while the arena is not disposed).</summary>
    internal IntPtr Address => _mapping.DangerousGetHandle();

    /// <summary>Gets the fd to hand to a child (CPython pickles it as <c>rebuild_arena(size, DupFd(fd))</c>).</summary>
    public int Fd => (int)_fd.DangerousGetHandle();

    /// <summary>Maps an arena received as an fd (CPython's <c>rebuild_arena</c>); takes ownership of the fd.</summary>
    /// <param name="fd">The fd.</param>
    /// <param name="size">The arena size.</param>
    /// <returns>The arena.</returns>
    /// <exception cref="IOException">The fd could not be mapped.</exception>
    public static Arena FromFd(int fd, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            return new Arena(handle, Map(fd, size), size);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A window of the arena as <see cref="Memory{T}"/> backed by the mapping.</summary>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">The number of bytes.</param>
    /// <returns>The memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is outside the arena.</exception>
    public Memory<byte> GetMemory(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Size, nameof(length));
        return new MappedMemory(_mapping, offset, length).Memory;
    }

    /// <summary>Unmaps (once nothing is pinned) and closes the fd.</summary>
    public void Dispose()
    {
        _mapping.Dispose();
        _fd.Dispose();
    }

    private static MappingHandle Map(int fd, long size)
    {
        var address = LibcShm.Mmap(IntPtr.Zero, (nuint)size, LibcShm.PROT_READ | LibcShm.PROT_WRITE, LibcShm.MAP_SHARED, fd, 0);
        if (address == LibcShm.MapFailed)
        {
            ThrowHelper.ThrowLastOSError();
        }

        return new MappingHandle(address, size);
    }

    private static string RandomName()
    {
        Span<char> chars = stackalloc char[8];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = NameCharacters[Random.Shared.Next(NameCharacters.Length)];
        }

        return new string(chars);
    }
}
