using System.Diagnostics;

namespace Multiprocess.Synchronize;

/// <summary>
/// A condition variable shared across processes, built exactly as CPython's <c>multiprocessing.Condition</c>: a lock
/// (an <see cref="RLock"/> by default) and three semaphores, so that C# and Python processes wait on and notify one
/// condition.
/// </summary>
/// <remarks>
/// <code>
///   waiter                                   notifier (holds the lock)
///   1. sleeping_count.release()
///   2. release the lock count times
///   3. wait_semaphore.acquire(timeout)  ◀──  while woken_count.acquire(False): sleeping_count.acquire(False)
///                                             for each sleeper (up to n): wait_semaphore.release()
///   4. woken_count.release()           ──▶  woken_count.acquire() once per sleeper woken
///   5. re-acquire the lock count times        drain wait_semaphore (timeouts that raced)
/// </code>
/// </remarks>
public sealed partial class Condition : IDisposable
{
    private readonly bool _ownsSemaphores;
    private readonly bool _ownsLock;

    /// <summary>Creates a condition over <paramref name="lock"/>, or over a new <see cref="RLock"/>.</summary>
    /// <param name="lock">The lock (a <see cref="Lock"/> or an <see cref="RLock"/>); null creates an RLock.</param>
    /// <exception cref="IOException">A semaphore could not be created.</exception>
    public Condition(SemLock? @lock = null)
    {
        _ownsLock = @lock is null;
        Lock = @lock ?? new RLock();
        SleepingCount = new Semaphore(0);
        WokenCount = new Semaphore(0);
        WaitSemaphore = new Semaphore(0);
        _ownsSemaphores = true;
    }

    private Condition(SemLock @lock, Semaphore sleepingCount, Semaphore wokenCount, Semaphore waitSemaphore)
    {
        Lock = @lock;
        SleepingCount = sleepingCount;
        WokenCount = wokenCount;
        WaitSemaphore = waitSemaphore;
    }

    /// <summary>Gets the lock.</summary>
    public SemLock Lock { get; }

    /// <summary>Gets the count of waiters that went to sleep (CPython's <c>_sleeping_count</c>).</summary>
    public Semaphore SleepingCount { get; }

    /// <summary>Gets the count of waiters that woke (CPython's <c>_woken_count</c>).</summary>
    public Semaphore WokenCount { get; }

    /// <summary>Gets the semaphore waiters sleep on (CPython's <c>_wait_semaphore</c>).</summary>
    public Semaphore WaitSemaphore { get; }

    /// <summary>Builds a condition over the four SemLocks of a pickled CPython Condition
    /// (<c>(lock, sleeping_count, woken_count, wait_semaphore)</c>), each rebuilt by name.</summary>
    /// <param name="lock">The lock.</param>
    /// <param name="sleepingCount">The sleeping count.</param>
    /// <param name="wokenCount">The woken count.</param>
    /// <param name="waitSemaphore">The wait semaphore.</param>
    /// <returns>The condition; disposing it does not dispose the parts.</returns>
    public static Condition Rebuild(SemLock @lock, Semaphore sleepingCount, Semaphore wokenCount, Semaphore waitSemaphore)
    {
        ArgumentNullException.ThrowIfNull(@lock);
        ArgumentNullException.ThrowIfNull(sleepingCount);
        ArgumentNullException.ThrowIfNull(wokenCount);
        ArgumentNullException.ThrowIfNull(waitSemaphore);
        return new Condition(@lock, sleepingCount, wokenCount, waitSemaphore);
    }

    /// <summary>Acquires the lock.</summary>
    /// <param name="block">Wait if it is held.</param>
    /// <param name="timeout">The longest wait; null waits forever.</param>
    /// <returns>Whether it was acquired.</returns>
    public bool Acquire(bool block = true, TimeSpan? timeout = null) => Lock.Acquire(block, timeout);

    /// <summary>Releases the lock.</summary>
    public void Release() => Lock.Release();

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with cond:</c>).</summary>
    /// <returns>The scope.</returns>
    public SemLock.Scope EnterScope() => Lock.EnterScope();

    /// <summary>Releases the lock (at every recursion level), waits for a notification or the timeout, and re-acquires
    /// the lock (CPython <c>wait(timeout)</c>).</summary>
    /// <param name="timeout">The longest wait; null waits forever.</param>
    /// <returns>False if the wait timed out.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public bool Wait(TimeSpan? timeout = null)
    {
        if (!Lock.IsMine)
        {
            throw new SynchronizationLockException("must acquire() condition before using wait()");
        }

        // indicate that this thread is going to sleep
        SleepingCount.Release();

        // release the lock at every level
        var count = Lock.Count;
        for (var i = 0; i < count; i++)
        {
            Lock.Release();
        }

        try
        {
            return WaitSemaphore.Acquire(true, timeout);
        }
        finally
        {
            // indicate that this thread has woken, then take the lock back at the same depth
            WokenCount.Release();
            for (var i = 0; i < count; i++)
            {
                Lock.Acquire();
            }
        }
    }

    /// <summary>Waits until <paramref name="predicate"/> holds or the timeout passes (CPython <c>wait_for</c>).</summary>
    /// <param name="predicate">Evaluated with the lock held.</param>
    /// <param name="timeout">The longest total wait; null waits forever.</param>
    /// <returns>The last value of the predicate.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var result = predicate();
        if (result)
        {
            return result;
        }

        var clock = Stopwatch.StartNew();
        while (!result)
        {
            TimeSpan? wait = null;
            if (timeout is { } t && t != Timeout.InfiniteTimeSpan)
            {
                wait = t - clock.Elapsed;
                if (wait <= TimeSpan.Zero)
                {
                    break;
                }
            }

            Wait(wait);
            result = predicate();
        }

        return result;
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters and waits until they have woken (CPython <c>notify(n)</c>).</summary>
    /// <param name="n">How many waiters to wake.</param>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    /// <exception cref="InvalidOperationException">The condition's semaphores are inconsistent (CPython's assertions).</exception>
    public void Notify(int n = 1)
    {
        if (!Lock.IsMine)
        {
            throw new SynchronizationLockException("lock is not owned");
        }

        if (WaitSemaphore.Acquire(false))
        {
            throw new InvalidOperationException("notify: Should not have been able to acquire _wait_semaphore");
        }

        // to take account of timeouts since the last notify, subtract woken_count from sleeping_count and rezero it
        while (WokenCount.Acquire(false))
        {
            if (!SleepingCount.Acquire(false))
            {
                throw new InvalidOperationException("notify: Bug in sleeping_count.acquire- res should not be False");
            }
        }

        var sleepers = 0;
        while (sleepers < n && SleepingCount.Acquire(false))
        {
            WaitSemaphore.Release(); // wake up one sleeper
            sleepers++;
        }

        if (sleepers > 0)
        {
            for (var i = 0; i < sleepers; i++)
            {
                WokenCount.Acquire(); // wait for a sleeper to wake
            }

            // rezero wait_semaphore in case some timeouts just happened
            while (WaitSemaphore.Acquire(false))
            {
            }
        }
    }

    /// <summary>Wakes every waiter (CPython <c>notify_all</c> = <c>notify(sys.maxsize)</c>).</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void NotifyAll() => Notify(int.MaxValue);

    /// <summary>CPython's repr: <c>&lt;Condition(&lt;RLock(None, 0)&gt;, 0)&gt;</c> (the number is the waiters).</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        string waiters;
        try
        {
            waiters = (SleepingCount.GetValue() - WokenCount.GetValue()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            waiters = "unknown";
        }

        return $"<Condition({Lock}, {waiters})>";
    }

    /// <summary>Disposes the semaphores this condition created, and the lock if it created it.</summary>
    public void Dispose()
    {
        if (_ownsSemaphores)
        {
            SleepingCount.Dispose();
            WokenCount.Dispose();
            WaitSemaphore.Dispose();
        }

        if (_ownsLock)
        {
            Lock.Dispose();
        }
    }
}
