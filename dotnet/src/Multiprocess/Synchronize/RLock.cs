namespace Multiprocess.Synchronize;

/// <summary>
/// A recursive lock shared across processes (CPython <c>multiprocessing.RLock</c>): a RECURSIVE_MUTEX SemLock. The
/// owning thread may acquire it again; the depth is counted in this process and only the outermost acquire and
/// release touch the semaphore, whose value is 0 while held at any depth.
/// </summary>
public sealed class RLock : SemLock
{
    /// <summary>Creates an unlocked recursive lock under a fresh <c>/mp-</c> name.</summary>
    /// <param name="track">Register the name with the resource tracker.</param>
    /// <exception cref="IOException">sem_open failed.</exception>
    public RLock(bool track = true)
        : base(SemLockKind.RecursiveMutex, 1, 1, track)
    {
    }

    private RLock(string name)
        : base(SemLockKind.RecursiveMutex, 1, name)
    {
    }

    /// <summary>Opens a recursive lock created elsewhere by its name.</summary>
    /// <param name="name">The SemLock name.</param>
    /// <returns>The lock.</returns>
    /// <exception cref="FileNotFoundException">No semaphore has that name.</exception>
    public static RLock Rebuild(string name) => new(name);

    /// <inheritdoc/>
    public override string PythonClassName => "RLock";

    /// <summary>CPython's repr: <c>&lt;RLock(None, 0)&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var owner = OwnerDescription();
        var count = IsMine ? Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : owner == "None" ? "0" : "nonzero";
        return $"<RLock({owner}, {count})>";
    }
}
