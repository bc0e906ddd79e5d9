namespace Multiprocess.Synchronize;

/// <summary>
/// A non-recursive lock shared across processes (CPython <c>multiprocessing.Lock</c>): a SEMAPHORE-kind SemLock with
/// value 1 and maxvalue 1. Any thread of any process may release it.
/// </summary>
/// <remarks>The name clashes with <see cref="System.Threading.Lock"/> under implicit usings; alias it
/// (<c>using Lock = Multiprocess.Synchronize.Lock;</c>) or qualify it.</remarks>
public sealed class Lock : SemLock
{
    /// <summary>Creates an unlocked lock under a fresh <c>/mp-</c> name.</summary>
    /// <param name="track">Register the name with the resource tracker.</param>
    /// <exception cref="IOException">sem_open failed.</exception>
    public Lock(bool track = true)
        : base(SemLockKind.Semaphore, 1, 1, track)
    {
    }

    /// <summary>Creates an unlocked lock registered with <paramref name="tracker"/> (null: untracked).</summary>
    internal Lock(ResourceTracking.ResourceTracker? tracker)
        : base(SemLockKind.Semaphore, 1, 1, tracker)
    {
    }

    private Lock(string name)
        : base(SemLockKind.Semaphore, 1, name)
    {
    }

    /// <summary>Opens a lock created elsewhere (a Python <c>Lock</c> from a spawn or forkserver context, or another C#
    /// process's) by its name.</summary>
    /// <param name="name">The SemLock name, e.g. <c>/mp-abcd1234</c>.</param>
    /// <returns>The lock.</returns>
    /// <exception cref="FileNotFoundException">No semaphore has that name.</exception>
    public static Lock Rebuild(string name) => new(name);

    /// <inheritdoc/>
    public override string PythonClassName => "Lock";

    /// <summary>CPython's repr: <c>&lt;Lock(owner=None)&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<Lock(owner={OwnerDescription()})>";
}
