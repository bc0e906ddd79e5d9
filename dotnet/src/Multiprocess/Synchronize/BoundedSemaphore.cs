namespace Multiprocess.Synchronize;

/// <summary>A semaphore that refuses to rise above its initial value (CPython <c>multiprocessing.BoundedSemaphore</c>:
/// maxvalue = value; over-release throws <see cref="SemaphoreFullException"/>).</summary>
public sealed class BoundedSemaphore : Semaphore
{
    /// <summary>Creates a bounded semaphore.</summary>
    /// <param name="value">The initial and maximum value.</param>
    /// <param name="track">Register the name with the resource tracker.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    /// <exception cref="IOException">sem_open failed.</exception>
    public BoundedSemaphore(int value = 1, bool track = true)
        : base(value, value, track)
    {
    }

    private BoundedSemaphore(int maxValue, string name)
        : base(maxValue, name)
    {
    }

    /// <summary>Opens a bounded semaphore created elsewhere by its name.</summary>
    /// <param name="name">The SemLock name.</param>
    /// <param name="maxValue">Its maxvalue, from the pickled state.</param>
    /// <returns>The semaphore.</returns>
    /// <exception cref="FileNotFoundException">No semaphore has that name.</exception>
    public static BoundedSemaphore Rebuild(string name, int maxValue) => new(maxValue, name);

    /// <inheritdoc/>
    public override string PythonClassName => "BoundedSemaphore";

    /// <summary>CPython's repr: <c>&lt;BoundedSemaphore(value=1, maxvalue=1)&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<BoundedSemaphore(value={ValueText()}, maxvalue={MaxValue})>";
}
