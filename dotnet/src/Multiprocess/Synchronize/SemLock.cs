using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Multiprocess.Internal;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Synchronize;

/// <summary>
/// A named POSIX semaphore shared with CPython's <c>_multiprocessing.SemLock</c> (docs/protocols.md §5): the base of
/// <see cref="Lock"/>, <see cref="RLock"/>, <see cref="Semaphore"/> and <see cref="BoundedSemaphore"/>. A C# process
/// and Python processes that open the same <c>/mp-…</c> name wait on one semaphore.
/// </summary>
/// <remarks>
/// <para>The semaphore value is shared; the acquisition count and owner thread are per process (per object), as in
/// CPython, where they identify the owner by process and thread. The creator owns the name: it registers it with the
/// resource tracker and unlinks it on <see cref="Dispose()"/>, when collected, or at process exit (CPython's
/// finalizer); processes that <see cref="Rebuild(SemLockKind, int, string)"/> it never unlink it.</para>
/// <para>C# never forks, so every SemLock has a name (CPython's spawn/forkserver contexts). A Python lock from the
/// default fork context has no name and cannot be shared this way; create it with
/// <c>multiprocessing.get_context('spawn').Lock()</c>.</para>
/// </remarks>
public partial class SemLock : IDisposable
{
    /// <summary>CPython's <c>SEM_VALUE_MAX</c> on Linux (glibc: INT_MAX), the maxvalue of a <see cref="Semaphore"/>.</summary>
    public const int SemValueMax = LibcSem.SEM_VALUE_MAX;

    // tempfile._RandomNameSequence: 8 characters of this alphabet after "/mp-".
    private const string NameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789_";
    private const string NamePrefix = "/mp-";
    private const int NameAttempts = 100;
    private const uint Mode = 0x180; // 0o600

    // Names this process created and has not unlinked yet: unlinked at exit as CPython's exitpriority-0 finalizer does.
    private static readonly ConcurrentDictionary<string, ResourceTracker?> s_owned = new(StringComparer.Ordinal);

    // The sem_t* is closed by its SafeHandle's finalizer, once nothing can be inside a call on it; Dispose only unlinks
    // the name (creator) and refuses further calls. The hot paths use the raw pointer without reference counting.
    private readonly SemaphoreHandle _handle;
    private readonly IntPtr _sem;
    private volatile bool _disposed;
    private readonly ResourceTracker? _tracker;
    private readonly bool _owner;
    private int _count;
    private int _lastThread;

    static SemLock() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var (name, tracker) in s_owned)
        {
            Cleanup(name, tracker);
        }
    };

    /// <summary>Creates a semaphore under a fresh <c>/mp-XXXXXXXX</c> name (O_CREAT|O_EXCL, mode 0600), registered with
    /// the resource tracker when <paramref name="track"/>.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="value">The initial value.</param>
    /// <param name="maxValue">The value above which <see cref="Release"/> refuses (checked, racily, as CPython does).</param>
    /// <param name="track">Register with <see cref="ResourceTracker.Default"/>, so that the name is removed even if this
    /// process is killed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative or above
    /// <paramref name="maxValue"/>.</exception>
    /// <exception cref="IOException">No free name after 100 attempts, or sem_open failed.</exception>
    protected SemLock(SemLockKind kind, int value, int maxValue, bool track = true)
        : this(kind, value, maxValue, track ? ResourceTracker.Default : null)
    {
    }

    /// <summary>Creates a semaphore registered with <paramref name="tracker"/> (null: untracked).</summary>
    private protected SemLock(SemLockKind kind, int value, int maxValue, ResourceTracker? tracker)
    {
        if (kind is not (SemLockKind.RecursiveMutex or SemLockKind.Semaphore))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "unrecognized kind");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, maxValue);
        Kind = kind;
        MaxValue = maxValue;
        for (var attempt = 0; ; attempt++)
        {
            var name = MakeName();
            var sem = LibcSem.SemOpen(name, LibcShm.O_CREAT | LibcShm.O_EXCL, Mode, (uint)value);
            if (sem != IntPtr.Zero)
            {
                _handle = new SemaphoreHandle(sem);
                _sem = sem;
                Name = name;
                break;
            }

            var errno = ThrowHelper.LastErrno;
            if (errno != Errno.EEXIST)
            {
                ThrowHelper.ThrowOSError(errno, name);
            }

            if (attempt + 1 == NameAttempts)
            {
                throw new IOException("cannot find name for semaphore");
            }
        }

        _owner = true;
        _tracker = tracker;
        s_owned[Name] = tracker;
        try
        {
            tracker?.Register(Name, ResourceTracker.SemaphoreType);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Wraps a semaphore another process created (see <see cref="Rebuild(SemLockKind, int, string)"/>).</summary>
    private protected SemLock(SemLockKind kind, int maxValue, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sem = LibcSem.SemOpen(name, 0);
        if (sem == IntPtr.Zero)
        {
            ThrowHelper.ThrowLastOSError(name);
        }

        _handle = new SemaphoreHandle(sem);
        _sem = sem;
        Kind = kind;
        MaxValue = maxValue;
        Name = name;
    }

    /// <summary>Finalizes: the creator unlinks the name, as CPython's finalizer does when the object is collected.</summary>
    ~SemLock() => Dispose(disposing: false);

    /// <summary>Gets the kind.</summary>
    public SemLockKind Kind { get; }

    /// <summary>Gets the maximum value (1 for locks, <see cref="SemValueMax"/> for a plain semaphore).</summary>
    public int MaxValue { get; }

    /// <summary>Gets the semaphore name as CPython's <c>SemLock.name</c> shows it, slash included (<c>/mp-abcd1234</c>).</summary>
    public string Name { get; }

    /// <summary>Gets the <c>sem_t*</c> of this process (CPython pickles it as <c>handle</c>; only the name matters across
    /// processes).</summary>
    public IntPtr Handle => _sem;

    /// <summary>Gets how many acquisitions this process holds (CPython's <c>_count()</c>; for an RLock, the recursion
    /// depth).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets whether the calling thread holds this lock (CPython's <c>_is_mine()</c>).</summary>
    public bool IsMine => Volatile.Read(ref _count) > 0 && Volatile.Read(ref _lastThread) == Environment.CurrentManagedThreadId;

    /// <summary>Gets whether this process created the semaphore (and so unlinks it).</summary>
    public bool IsOwner => _owner;

    /// <summary>Opens a semaphore another process (C# or Python) created, by name (CPython's
    /// <c>SemLock._rebuild(handle, kind, maxvalue, name)</c>).</summary>
    /// <param name="kind">The kind from the pickled state.</param>
    /// <param name="maxValue">The maxvalue from the pickled state.</param>
    /// <param name="name">The name, e.g. <c>/mp-abcd1234</c>.</param>
    /// <returns>A SemLock on the same semaphore; it does not own the name.</returns>
    /// <exception cref="FileNotFoundException">No semaphore has that name (it was unlinked, or it came from a fork
    /// context).</exception>
    /// <exception cref="IOException">Another OS error.</exception>
    public static SemLock Rebuild(SemLockKind kind, int maxValue, string name) => new(kind, maxValue, name);

    /// <summary>Removes a semaphore name (CPython's <c>_multiprocessing.sem_unlink</c>); processes that have it open
    /// keep using it. Unregisters nothing.</summary>
    /// <param name="name">The name, e.g. <c>/mp-abcd1234</c>.</param>
    /// <exception cref="FileNotFoundException">No semaphore has that name.</exception>
    /// <exception cref="IOException">Another OS error.</exception>
    public static void UnlinkByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (LibcSem.SemUnlink(name) < 0)
        {
            ThrowHelper.ThrowLastOSError(name);
        }
    }

    /// <summary>Acquires, waiting as long as it takes, and returns a scope that releases on dispose
    /// (<c>using (lk.EnterScope()) { … }</c>, Python's <c>with lk:</c>).</summary>
    /// <returns>The scope.</returns>
    public Scope EnterScope()
    {
        Acquire();
        return new Scope(this);
    }

    /// <summary>The semaphore's current value (CPython's <c>_get_value()</c>).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="IOException">sem_getvalue failed.</exception>
    public int GetValue()
    {
        ThrowIfDisposed();
        if (LibcSem.SemGetValueFast(_sem, out var value) < 0)
        {
            ThrowHelper.ThrowOSError(Marshal.GetLastSystemError(), Name);
        }

        GC.KeepAlive(this);
        return value;
    }

    /// <summary>Whether the value is zero (CPython's <c>_is_zero()</c>).</summary>
    /// <returns>Whether it is zero.</returns>
    public bool IsZero() => GetValue() == 0;

    /// <summary>The pickled state CPython exchanges: <c>(handle, kind, maxvalue, name)</c>.</summary>
    /// <returns>The state.</returns>
    public (long Handle, SemLockKind Kind, int MaxValue, string Name) GetState() => (Handle, Kind, MaxValue, Name);

    /// <summary>Ends this object's use: the creator unlinks the name and unregisters it; later calls throw
    /// <see cref="ObjectDisposedException"/>. The handle itself is closed when the object is collected.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>For the creator, unlinks the name; marks the object disposed.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        _disposed = true;
        if (_owner && s_owned.TryRemove(Name, out _))
        {
            Cleanup(Name, _tracker);
        }

        GC.KeepAlive(_handle);
    }

    /// <summary>Describes the owner as CPython's reprs do: this thread, None, SomeOtherThread or SomeOtherProcess.</summary>
    private protected string OwnerDescription()
    {
        try
        {
            return IsMine ? $"pid {Environment.ProcessId}|thread {Environment.CurrentManagedThreadId}"
                : GetValue() == 1 ? "None"
                : Count > 0 ? "SomeOtherThread"
                : "SomeOtherProcess";
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return "unknown";
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowObjectDisposed(Name);
        }
    }

    private static void Cleanup(string name, ResourceTracker? tracker)
    {
        LibcSem.SemUnlink(name);
        try
        {
            tracker?.Unregister(name, ResourceTracker.SemaphoreType);
        }
        catch (IOException)
        {
            // The tracker is gone (e.g. at exit); it has nothing left to clean for this name anyway.
        }
    }

    private static string MakeName()
    {
        Span<char> chars = stackalloc char[8];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = NameCharacters[Random.Shared.Next(NameCharacters.Length)];
        }

        return NamePrefix + new string(chars);
    }

    /// <summary>Holds the lock until disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly SemLock? _lock;

        internal Scope(SemLock semLock) => _lock = semLock;

        /// <summary>Releases the lock.</summary>
        public void Dispose() => _lock?.Release();
    }
}
