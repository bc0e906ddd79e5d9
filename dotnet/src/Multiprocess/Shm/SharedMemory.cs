using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Multiprocess.Internal;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Shm;

/// <summary>
/// A POSIX shared memory segment, interchangeable with CPython's <c>multiprocessing.shared_memory.SharedMemory</c>:
/// same names (<c>psm_</c> + 8 hex digits), same flags (exclusive create, mode 0600, zero-filled), same resource
/// tracking. The contents are reachable as <see cref="Span{T}"/> and <see cref="Memory{T}"/> over the mapping, without
/// copies.
/// </summary>
/// <remarks>
/// <para>Lifetime is CPython's: <see cref="Close"/> (or <see cref="Dispose"/>) unmaps this process's view; only
/// <see cref="Unlink"/> removes the segment, and it should be called once across all processes. A pinned
/// <see cref="Memory"/> (e.g. during an async I/O) stays valid until unpinned even if the segment is closed; spans taken
/// before <see cref="Close"/> must not be used after it.</para>
/// <para>Tracking pitfall (CPython ≤ 3.12, and 3.13 without <c>track=False</c>): a Python process that merely attaches
/// registers the segment with its own resource tracker, which unlinks it when that process's tree exits. Attach from
/// unrelated Python processes with <c>track=False</c> (3.13) or call
/// <c>resource_tracker.unregister(shm._name, "shared_memory")</c> after attaching.</para>
/// </remarks>
public sealed partial class SharedMemory : IDisposable
{
    /// <summary>The prefix of generated names, leading slash included (CPython's <c>_SHM_NAME_PREFIX</c>).</summary>
    public const string NamePrefix = "/psm_";

    // FreeBSD limits names to 14 characters, so CPython keeps generated ones within that: "/psm_" + 4 random bytes.
    private const int SafeNameLength = 14;
    private const uint Mode = 0x180; // 0o600

    private readonly string _name;
    private readonly ResourceTracker? _tracker;
    private SafeFileHandle? _fd;
    private MappingHandle? _mapping;
    private MappedMemory? _memory;

    /// <summary>
    /// Creates a new segment or attaches to an existing one, with CPython's signature and checks:
    /// <c>SharedMemory(name=None, create=False, size=0, *, track=True)</c>.
    /// </summary>
    /// <param name="name">The segment name as Python shows it (<c>psm_…</c>); null with <paramref name="create"/> picks a
    /// fresh random one.</param>
    /// <param name="create">Create exclusively (fails if the name exists) rather than attach.</param>
    /// <param name="size">The size in bytes when creating; ignored when attaching (the segment's size is used).</param>
    /// <param name="track">Register with <see cref="ResourceTracker.Default"/> (CPython 3.13's <c>track</c>): when
    /// false, nothing is registered and <see cref="Unlink"/> unregisters nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="size"/> is zero when creating, or <paramref name="name"/> is
    /// null when attaching, or the name cannot be tracked (':' or non-ASCII), or the segment is empty.</exception>
    /// <exception cref="FileNotFoundException">Attaching to a name that does not exist.</exception>
    /// <exception cref="IOException">Creating a name that exists, or another OS error.</exception>
    public SharedMemory(string? name = null, bool create = false, long size = 0, bool track = true)
        : this(name, create, size, track ? ResourceTracker.Default : null)
    {
    }

    /// <summary>Creates or attaches, registering with <paramref name="tracker"/> (null: untracked).</summary>
    internal SharedMemory(string? name, bool create, long size, ResourceTracker? tracker)
    {
        if (size < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "'size' must be a positive integer");
        }

        if (create && size == 0)
        {
            throw new ArgumentException("'size' must be a positive number different from zero", nameof(size));
        }

        if (name is null && !create)
        {
            throw new ArgumentException("'name' can only be None if create=True", nameof(name));
        }

        _tracker = tracker;
        var flags = LibcShm.O_RDWR | (create ? LibcShm.O_CREAT | LibcShm.O_EXCL : 0);
        int fd;
        if (name is null)
        {
            while (true)
            {
                var candidate = MakeFilename();
                fd = LibcShm.ShmOpen(candidate, flags, Mode);
                if (fd < 0 && ThrowHelper.LastErrno == Errno.EEXIST)
                {
                    continue;
                }

                _name = candidate;
                break;
            }
        }
        else
        {
            // CPython always prepends the slash, even to a name that has one (glibc strips repeated slashes).
            _name = "/" + name;
            if (tracker is not null)
            {
                ResourceTracker.ValidateName(_name, ResourceTracker.SharedMemoryType);
            }

            fd = LibcShm.ShmOpen(_name, flags, Mode);
        }

        if (fd < 0)
        {
            ThrowHelper.ThrowLastOSError(_name);
        }

        _fd = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (create && LibcShm.Ftruncate(fd, size) < 0)
            {
                ThrowHelper.ThrowLastOSError(_name);
            }

            Size = LibcShm.FstatSize(fd);
            if (Size < 0)
            {
                ThrowHelper.ThrowLastOSError(_name);
            }

            if (Size == 0)
            {
                throw new ArgumentException($"cannot mmap an empty file: segment '{Name}' has size 0", nameof(name));
            }

            var address = LibcShm.Mmap(IntPtr.Zero, (nuint)Size, LibcShm.PROT_READ | LibcShm.PROT_WRITE, LibcShm.MAP_SHARED, fd, 0);
            if (address == LibcShm.MapFailed)
            {
                ThrowHelper.ThrowLastOSError(_name);
            }

            _mapping = new MappingHandle(address, Size);
            _memory = new MappedMemory(_mapping, 0, (int)Math.Min(Size, int.MaxValue));
        }
        catch
        {
            // CPython unlinks after any OSError past the open; only a segment we just created is ours to remove.
            Close();
            if (create)
            {
                LibcShm.ShmUnlink(_name);
            }

            throw;
        }

        tracker?.Register(_name, ResourceTracker.SharedMemoryType);
    }

    /// <summary>Gets the name as Python shows it: without the leading slash (<c>psm_1a2b3c4d</c>).</summary>
    public string Name => _name.StartsWith('/') ? _name[1..] : _name;

    /// <summary>Gets the size in bytes (the segment's size, also when attached).</summary>
    public long Size { get; }

    /// <summary>Gets whether the segment is registered with a resource tracker (CPython 3.13's <c>_track</c>).</summary>
    public bool Tracked => _tracker is not null;

    /// <summary>Gets the whole segment as a span (CPython's <c>buf</c>).</summary>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    /// <exception cref="InvalidOperationException">The segment is larger than a span can cover (2 GiB); use
    /// <see cref="GetSpan(long, int)"/>.</exception>
    public Span<byte> Span
    {
        get
        {
            var memory = _memory ?? throw new ObjectDisposedException(ToString());
            if (Size > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"segment '{Name}' is {Size} bytes, more than a Span<byte> covers; use GetSpan(offset, length)");
            }

            return memory.GetSpan();
        }
    }

    /// <summary>Gets the whole segment as <see cref="Memory{T}"/> backed by the mapping (no copy); pinning it keeps the
    /// mapping alive.</summary>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    /// <exception cref="InvalidOperationException">The segment is larger than 2 GiB; use
    /// <see cref="GetMemory(long, int)"/>.</exception>
    public Memory<byte> Memory
    {
        get
        {
            var memory = _memory ?? throw new ObjectDisposedException(ToString());
            if (Size > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"segment '{Name}' is {Size} bytes, more than a Memory<byte> covers; use GetMemory(offset, length)");
            }

            return memory.Memory;
        }
    }

    /// <summary>Gets the address of the mapping in this process.</summary>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    public IntPtr Address => _mapping is { IsClosed: false } m ? m.DangerousGetHandle() : throw new ObjectDisposedException(ToString());

    /// <summary>A window of the segment as a span, for segments of any size.</summary>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">The number of bytes.</param>
    /// <returns>The span.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the segment.</exception>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    public unsafe Span<byte> GetSpan(long offset, int length)
    {
        CheckWindow(offset, length);
        return new Span<byte>((byte*)Address + offset, length);
    }

    /// <summary>A window of the segment as <see cref="Memory{T}"/> backed by the mapping.</summary>
    /// <param name="offset">The first byte.</param>
    /// <param name="length">The number of bytes.</param>
    /// <returns>The memory.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The window is not inside the segment.</exception>
    /// <exception cref="ObjectDisposedException">The segment was closed.</exception>
    public Memory<byte> GetMemory(long offset, int length)
    {
        CheckWindow(offset, length);
        return new MappedMemory(_mapping!, offset, length).Memory;
    }

    /// <summary>Unmaps this process's view and closes the fd; the segment stays (CPython <c>close()</c>). Idempotent.</summary>
    public void Close()
    {
        _memory = null;
        _mapping?.Dispose();
        _mapping = null;
        _fd?.Dispose();
        _fd = null;
    }

    /// <summary>Same as <see cref="Close"/>.</summary>
    public void Dispose() => Close();

    /// <summary>Removes the segment's name (CPython <c>unlink()</c>: shm_unlink, then UNREGISTER when tracked). Mappings
    /// that exist stay usable until closed.</summary>
    /// <exception cref="FileNotFoundException">The segment was already unlinked.</exception>
    /// <exception cref="IOException">Another OS error.</exception>
    public void Unlink()
    {
        if (LibcShm.ShmUnlink(_name) < 0)
        {
            ThrowHelper.ThrowLastOSError(_name);
        }

        _tracker?.Unregister(_name, ResourceTracker.SharedMemoryType);
    }

    /// <summary>CPython's repr: <c>SharedMemory('psm_1a2b3c4d', size=4096)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"SharedMemory({PyRepr.Str(Name)}, size={Size})";

    /// <summary>A fresh random name: <c>/psm_</c> + <c>secrets.token_hex(4)</c>.</summary>
    internal static string MakeFilename()
    {
        // number of random bytes: (14 - len("/psm_")) // 2 = 4, i.e. 8 hex digits.
        const int Bytes = (SafeNameLength - 5) / 2;
        return NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Bytes));
    }

    private void CheckWindow(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > Size)
        {
            throw new ArgumentOutOfRangeException(
                nameof(length), $"window [{offset}, {offset + length}) is outside segment '{Name}' of {Size} bytes");
        }
    }
}
