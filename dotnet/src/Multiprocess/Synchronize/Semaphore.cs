namespace Multiprocess.Synchronize;

/// <summary>A counting semaphore shared across processes (CPython <c>multiprocessing.Semaphore</c>): maxvalue
/// <see cref="SemLock.SemValueMax"/>.</summary>
/// <remarks>The name clashes with <see cref="System.Threading.Semaphore"/> under implicit usings; alias or qualify it.</remarks>
public class Semaphore : SemLock
{
    /// <summary>Creates a semaphore with an initial value.</summary>
    /// <param name="value">The initial value (≥ 0).</param>
    /// <param name="track">Register the name with the resource tracker.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    /// <exception cref="IOException">sem_open failed.</exception>
    public Semaphore(int value = 1, bool track = true)
        : base(SemLockKind.Semaphore, value, SemValueMax, track)
    {
    }

    /// <summary>Creates a semaphore with a given maximum (for <see cref="BoundedSemaphore"/>).</summary>
    private protected Semaphore(int value, int maxValue, bool track)
        : base(SemLockKind.Semaphore, value, maxValue, track)
    {
    }

    /// <summary>Opens a semaphore created elsewhere.</summary>
    private protected Semaphore(int maxValue, string name)
        : base(SemLockKind.Semaphore, maxValue, name)
    {
    }

    /// <summary>Opens a semaphore created elsewhere by its name.</summary>
    /// <param name="name">The SemLock name.</param>
    /// <returns>The semaphore.</returns>
    /// <exception cref="FileNotFoundException">No semaphore has that name.</exception>
    public static Semaphore Rebuild(string name) => new(SemValueMax, name);

    /// <inheritdoc/>
    public override string PythonClassName => "Semaphore";

    /// <summary>CPython's repr: <c>&lt;Semaphore(value=1)&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<Semaphore(value={ValueText()})>";

    private protected string ValueText()
    {
        try
        {
            return GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return "unknown";
        }
    }
}
