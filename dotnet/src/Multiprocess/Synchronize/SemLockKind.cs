namespace Multiprocess.Synchronize;

/// <summary>CPython's SemLock kinds (<c>RECURSIVE_MUTEX, SEMAPHORE = range(2)</c>), as they travel in pickled state.</summary>
public enum SemLockKind
{
    /// <summary>An owned, re-entrant lock (RLock): recursion is counted per process and only the 0↔1 transitions touch
    /// the semaphore.</summary>
    RecursiveMutex = 0,

    /// <summary>A counting semaphore (Lock, Semaphore, BoundedSemaphore): any thread of any process may release.</summary>
    Semaphore = 1,
}
