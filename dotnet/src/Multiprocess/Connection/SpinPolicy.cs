using System.Diagnostics;
using System.Globalization;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// Poll-before-block for synchronous receives. On this class of machine a blocked reader takes ~20 µs to be woken
/// (measured: 40–50 µs per round trip blocking, 4–5 µs polling), so a peer that answers quickly is better caught by
/// polling. Adaptive: a poll that found nothing doubles the number of following receives that block at once
/// (up to 1023), and any hit resets that, so a connection that mostly waits long burns almost nothing.
/// </summary>
internal struct SpinPolicy
{
    private const int MaxMisses = 10;
    private readonly long _budgetTicks;
    private int _misses;
    private int _skip;

    public SpinPolicy(TimeSpan duration)
    {
        Duration = duration;
        _budgetTicks = (long)(duration.TotalSeconds * Stopwatch.Frequency);
    }

    public TimeSpan Duration { get; }

    /// <summary>The default from <c>MULTIPROCESS_SPIN_US</c>, else 50 µs.</summary>
    public static TimeSpan FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("MULTIPROCESS_SPIN_US");
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var us) && us >= 0
            ? TimeSpan.FromMicroseconds(us)
            : TimeSpan.FromMicroseconds(50);
    }

    /// <summary>Polls <paramref name="transport"/> for up to the budget (never past <paramref name="deadline"/>).</summary>
    /// <returns>Whether input (or EOF) is ready.</returns>
    public bool TrySpin(IConnectionTransport transport, long deadline)
    {
        if (_budgetTicks <= 0)
        {
            return false;
        }

        if (_skip > 0)
        {
            _skip--;
            return false;
        }

        var end = Stopwatch.GetTimestamp() + _budgetTicks;
        if (deadline != Deadline.Infinite && deadline < end)
        {
            end = deadline;
        }

        do
        {
            if (transport.Poll(TimeSpan.Zero))
            {
                _misses = 0;
                return true;
            }

            // sched_yield: on a busy machine the peer (or anyone) may need this core more than we do.
            Thread.Yield();
        }
        while (Stopwatch.GetTimestamp() < end);

        _misses = Math.Min(_misses + 1, MaxMisses);
        _skip = (1 << _misses) - 1;
        return false;
    }
}
