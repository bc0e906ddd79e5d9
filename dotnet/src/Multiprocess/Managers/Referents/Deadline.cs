using System.Diagnostics;

namespace Multiprocess.Managers.Referents;

/// <summary>An absolute point in monotonic time, or never; for Python timeouts given in seconds.</summary>
internal readonly struct Deadline
{
    private readonly long _ticks;

    private Deadline(long ticks) => _ticks = ticks;

    public static Deadline Never => new(long.MaxValue);

    public bool IsNever => _ticks == long.MaxValue;

    /// <summary>A deadline <paramref name="seconds"/> from now; null means never. Huge values mean never.</summary>
    public static Deadline FromSeconds(double? seconds)
    {
        if (seconds is not { } s || double.IsNaN(s) || s > 1e9)
        {
            return Never;
        }

        return new Deadline(Stopwatch.GetTimestamp() + (long)(Math.Max(s, 0) * Stopwatch.Frequency));
    }

    /// <summary>Milliseconds left, rounded up, capped at <paramref name="cap"/>; 0 when expired.</summary>
    public int RemainingMilliseconds(int cap)
    {
        if (IsNever)
        {
            return cap;
        }

        var left = _ticks - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            return 0;
        }

        var ms = ((left * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
        return ms >= cap ? cap : (int)ms;
    }

    public bool Expired => !IsNever && Stopwatch.GetTimestamp() >= _ticks;
}
