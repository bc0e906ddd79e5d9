using System.Runtime.InteropServices;
using Multiprocess.Internal;

namespace Multiprocess.Synchronize;

/// <content>Acquire and release, CPython's <c>semlock_acquire</c> / <c>semlock_release</c>.</content>
public partial class SemLock
{
    /// <summary>Acquires (CPython <c>acquire(block=True, timeout=None)</c>).</summary>
    /// <param name="block">Wait if the value is zero; false tries once.</param>
    /// <param name="timeout">The longest wait when blocking; null or <see cref="Timeout.InfiniteTimeSpan"/> waits
    /// forever; other negative values count as zero, as in CPython.</param>
    /// <returns>Whether it was acquired.</returns>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    /// <exception cref="IOException">The semaphore call failed.</exception>
    public bool Acquire(bool block = true, TimeSpan? timeout = null)
    {
        var thread = Environment.CurrentManagedThreadId;
        if (Kind == SemLockKind.RecursiveMutex && _count > 0 && _lastThread == thread)
        {
            _count++;
            return true;
        }

        ThrowIfDisposed();
        while (LibcSem.SemTryWaitFast(_sem) < 0)
        {
            var errno = Marshal.GetLastSystemError();
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno != Errno.EAGAIN)
            {
                ThrowHelper.ThrowOSError(errno, Name);
            }

            if (!block || !Wait(timeout))
            {
                return false;
            }

            break;
        }

        // The owner thread is recorded before the count becomes visible, so no other thread can see itself as owner.
        Volatile.Write(ref _lastThread, thread);
        Interlocked.Increment(ref _count);
        GC.KeepAlive(this);
        return true;
    }

    /// <summary>Releases (CPython <c>release()</c>).</summary>
    /// <exception cref="SynchronizationLockException">An RLock not held by the calling thread ("attempt to release
    /// recursive lock not owned by thread").</exception>
    /// <exception cref="SemaphoreFullException">The value is already at <see cref="MaxValue"/> ("semaphore or lock
    /// released too many times").</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    /// <exception cref="IOException">The semaphore call failed.</exception>
    public void Release()
    {
        ThrowIfDisposed();
        if (Kind == SemLockKind.RecursiveMutex)
        {
            if (!IsMine)
            {
                throw new SynchronizationLockException("attempt to release recursive lock not owned by thread");
            }

            if (_count > 1)
            {
                _count--;
                return;
            }

            // Last level: give up ownership before the semaphore can be taken by another thread.
            Volatile.Write(ref _lastThread, 0);
            Volatile.Write(ref _count, 0);
            if (LibcSem.SemPostFast(_sem) < 0)
            {
                var errno = Marshal.GetLastSystemError();
                _lastThread = Environment.CurrentManagedThreadId;
                _count = 1;
                ThrowHelper.ThrowOSError(errno, Name);
            }

            GC.KeepAlive(this);
            return;
        }

        // Not an absolute guarantee that the value stays within maxvalue (CPython's own caveat).
        if (LibcSem.SemGetValueFast(_sem, out var value) < 0)
        {
            ThrowHelper.ThrowOSError(Marshal.GetLastSystemError(), Name);
        }

        if (value >= MaxValue)
        {
            throw new SemaphoreFullException("semaphore or lock released too many times");
        }

        if (LibcSem.SemPostFast(_sem) < 0)
        {
            ThrowHelper.ThrowOSError(Marshal.GetLastSystemError(), Name);
        }

        Interlocked.Decrement(ref _count);
        GC.KeepAlive(this);
    }

    /// <summary>The blocking part of acquire: sem_wait, or sem_clockwait to one absolute deadline (so EINTR retries
    /// do not stretch the wait). Returns false on timeout.</summary>
    private bool Wait(TimeSpan? timeout)
    {
        int r, errno;
        if (timeout is null || timeout == Timeout.InfiniteTimeSpan)
        {
            do
            {
                r = LibcSem.SemWait(_sem);
                errno = r < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (r < 0 && errno == Errno.EINTR);
        }
        else
        {
            var deadline = LibcSem.Timespec.MonotonicDeadline(timeout.Value < TimeSpan.Zero ? TimeSpan.Zero : timeout.Value);
            do
            {
                r = LibcSem.SemClockWait(_sem, LibcSem.CLOCK_MONOTONIC, deadline);
                errno = r < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (r < 0 && errno == Errno.EINTR);
        }

        if (r < 0 && errno is not (Errno.ETIMEDOUT or Errno.EAGAIN))
        {
            ThrowHelper.ThrowOSError(errno, Name);
        }

        return r == 0;
    }
}
