using System.Diagnostics;

namespace Multiprocess.Internal;

/// <summary>
/// Deadlines as <see cref="Stopwatch"/> timestamps, so a loop that is interrupted (EINTR, partial reads) waits only
/// for what is left, never the whole timeout again.
/// </summary>
internal static class Deadline
{
    /// <summary>No deadline: wait for ever.</summary>
    public const long Infinite = long.MaxValue;

    /// <summary>Turns a timeout into a deadline; <see cref="Timeout.InfiniteTimeSpan"/> gives <see cref="Infinite"/>, a negative one an expired deadline.</summary>
    public static long From(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Infinite;
        }

        var now = Stopwatch.GetTimestamp();
        if (timeout <= TimeSpan.Zero)
        {
            return now;
        }

        var ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        return ticks >= Infinite - now ? Infinite : now + (long)ticks;
    }

    /// <summary>Milliseconds left for poll(2), rounded up (as CPython's PollSelector does); -1 when infinite, 0 when expired.</summary>
    public static int RemainingMilliseconds(long deadline)
    {
        if (deadline == Infinite)
        {
            return -1;
        }

        var left = deadline - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            return 0;
        }

        var ms = Math.Ceiling(left * 1000.0 / Stopwatch.Frequency);
        return ms >= int.MaxValue ? int.MaxValue : (int)ms;
    }

    /// <summary>Time left, for error messages and async timers.</summary>
    public static TimeSpan Remaining(long deadline) =>
        deadline == Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, (long)((deadline - Stopwatch.GetTimestamp()) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    /// <summary>Whether the deadline has passed.</summary>
    public static bool Expired(long deadline) => deadline != Infinite && Stopwatch.GetTimestamp() >= deadline;
}
