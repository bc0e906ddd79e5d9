using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// A lock shared by processes that the kernel releases when its holder dies: flock(2) on a file in /dev/shm (each
/// process opens the file itself, so each has its own open file description), plus an in-process gate, because
/// flock does not exclude two threads of one process that share a description. The pool's task pipe uses it as its
/// read lock instead of CPython's semaphore, which a worker killed while waiting for a task leaves taken for ever
/// (CPython's own pool then hangs; see docs/pool-worker-death.md).
/// </summary>
internal sealed class FlockLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int LockUnlock = 8;
    private const int EINTR = 4;
    private const int EWOULDBLOCK = 11;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _fd;

    public FlockLock()
    {
        Path = $"/dev/shm/mp-dotnet-lock-{Environment.ProcessId}-{Guid.NewGuid():N}";
        _fd = LibcShm.Open(Path, LibcShm.O_RDWR | LibcShm.O_CREAT | LibcShm.O_EXCL | LibcShm.O_CLOEXEC, 0x180);
        if (_fd < 0)
        {
            throw new IOException($"Could not create the lock file '{Path}': errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Gets the file the other processes open and flock.</summary>
    public string Path { get; }

    /// <summary>Takes the lock, waiting at most <paramref name="timeout"/> (null: for ever).</summary>
    public bool Acquire(TimeSpan? timeout)
    {
        var deadline = Deadline.From(timeout ?? Timeout.InfiniteTimeSpan);
        if (!_gate.Wait(timeout ?? Timeout.InfiniteTimeSpan))
        {
            return false;
        }

        try
        {
            if (timeout is null ? Flock(LockExclusive) : FlockUntil(deadline))
            {
                return true;
            }
        }
        catch
        {
            _gate.Release();
            throw;
        }

        _gate.Release();
        return false;
    }

    public void Release()
    {
        Flock(LockUnlock);
        _gate.Release();
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            LibcPipe.Close(fd);
            LibcShm.Unlink(Path);
        }

        _gate.Dispose();
    }

    private bool FlockUntil(long deadline)
    {
        var spin = 0;
        while (!Flock(LockExclusive | LockNonBlocking))
        {
            if (Deadline.Expired(deadline))
            {
                return false;
            }

            // A holder keeps the lock for one frame's read: a short wait, growing to 1 ms.
            if (++spin < 20)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        return true;
    }

    /// <summary>flock(2), retried on EINTR; false only for a non-blocking attempt that found the lock taken.</summary>
    private bool Flock(int operation)
    {
        while (LibcPipe.Flock(Volatile.Read(ref _fd), operation) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EWOULDBLOCK && (operation & LockNonBlocking) != 0)
            {
                return false;
            }

            throw new IOException($"flock on '{Path}' failed: errno {errno}");
        }

        return true;
    }
}
