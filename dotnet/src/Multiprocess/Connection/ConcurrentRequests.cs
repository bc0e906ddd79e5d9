using System.Diagnostics;

namespace Multiprocess.Connection;

/// <summary>
/// Whether several clients are busy at once: a request arrived on one connection while another connection's request
/// was still being served (arrived, not yet answered), lately. One synchronous client (one thread of one process)
/// never has two requests out at once, whatever number of managers or connections it uses; two clients running side
/// by side soon do. <see cref="RequestWait"/> asks it to choose the wait for the next request
/// (docs/manager-server/several-clients.md, "Several clients: which wait").
/// </summary>
/// <remarks>
/// The other test, "another connection began a wait within the last millisecond", fails for two clients whenever one
/// of them makes several calls in a row while the other's process waits for a CPU: at 2 stock dict clients 0–60 % of
/// the waits polled in such rounds instead of 71–92 %, and those rounds cost the server 1.1–1.75 context switches per
/// call instead of 1.02–1.10. The two most recent distinct connections with a request are tracked (fd, and whether
/// that request is still being served); with more clients the slots change hands often, and an overlap is still seen
/// whenever two are served at once. Slots are read and written without a lock: a race costs at most one wait of the
/// other kind.
/// </remarks>
internal sealed class ConcurrentRequests
{
    private readonly long _window;
    private int _fdA = -1;
    private int _servingA;
    private int _fdB = -1;
    private int _servingB;
    private long _overlapAt = long.MinValue / 2; // never

    /// <summary>Initializes a new instance of the <see cref="ConcurrentRequests"/> class.</summary>
    /// <param name="window">How long (Stopwatch ticks) an overlap counts as "lately".</param>
    public ConcurrentRequests(long window) => _window = window;

    /// <summary>
    /// The process's AF_UNIX server connections. An overlap counts for 50 ms (the manager server's ParkAfter): a busy
    /// client whose process waits for a CPU on a loaded machine is off it for milliseconds at a time. Settable for tests.
    /// </summary>
    public static ConcurrentRequests Unix { get; set; } = new(Stopwatch.Frequency / 20);

    /// <summary>A request arrived on <paramref name="fd"/>: it is being served until <see cref="Served"/>.</summary>
    /// <param name="fd">The connection's fd (distinct among open connections).</param>
    /// <param name="now">Stopwatch.GetTimestamp().</param>
    public void Arrived(int fd, long now)
    {
        var fdA = Volatile.Read(ref _fdA);
        var fdB = Volatile.Read(ref _fdB);
        bool otherServing;
        if (fdA == fd)
        {
            Volatile.Write(ref _servingA, 1);
            otherServing = fdB >= 0 && Volatile.Read(ref _servingB) != 0;
        }
        else if (fdB == fd)
        {
            Volatile.Write(ref _servingB, 1);
            otherServing = fdA >= 0 && Volatile.Read(ref _servingA) != 0;
        }
        else
        {
            // A connection not in the slots: an overlap with either, then it takes an idle slot (or A).
            var servingA = fdA >= 0 && Volatile.Read(ref _servingA) != 0;
            var servingB = fdB >= 0 && Volatile.Read(ref _servingB) != 0;
            otherServing = servingA || servingB;
            if (servingA && !servingB)
            {
                Volatile.Write(ref _fdB, fd);
                Volatile.Write(ref _servingB, 1);
            }
            else
            {
                Volatile.Write(ref _fdA, fd);
                Volatile.Write(ref _servingA, 1);
            }
        }

        if (otherServing)
        {
            Volatile.Write(ref _overlapAt, now);
        }
    }

    /// <summary>The request on <paramref name="fd"/> was answered (or the connection waits for its next one).</summary>
    /// <param name="fd">The connection's fd.</param>
    public void Served(int fd)
    {
        if (Volatile.Read(ref _fdA) == fd)
        {
            Volatile.Write(ref _servingA, 0);
        }
        else if (Volatile.Read(ref _fdB) == fd)
        {
            Volatile.Write(ref _servingB, 0);
        }
    }

    /// <summary>Whether two requests were served at once within the window before <paramref name="now"/>.</summary>
    /// <param name="now">Stopwatch.GetTimestamp().</param>
    public bool Lately(long now) => now - Volatile.Read(ref _overlapAt) < _window;
}
