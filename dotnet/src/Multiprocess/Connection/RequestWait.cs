using System.Diagnostics;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// How a manager server thread waits for its client's next request on an AF_UNIX socket (the one home of that
/// policy; <see cref="SocketTransport.TryReadWithin"/> performs the wait it is told): recv(2) alone, or poll(2) for
/// input first. Its inputs: whether two clients' requests were served at once lately (<see cref="ConcurrentRequests"/>,
/// fed through <see cref="Arrived"/> and <see cref="Answered"/>), when another connection last began a wait, and
/// whether our last message is still unread (SIOCOUTQ). Measurements behind each rule:
/// docs/manager-server/request-wait.md, "The server's wait for the next request" and after it, and
/// docs/manager-server/several-clients.md.
/// </summary>
/// <remarks>
/// Why a choice at all: a thread asleep in recv(2) on an AF_UNIX socket is woken each time the peer reads (frees) one
/// of our messages (unix_write_space: 'writable', which a recv waiter does not filter), finds nothing and sleeps again;
/// the client reading our reply pays that wake-up too. poll(2) for POLLIN filters it, but costs a system call and a
/// high-resolution timer (its timeout) per wait, for nothing once the client has read the reply, and on a quiet machine
/// with one client its wake-up crosses to the idle vCPU (the shim at 1 worker: 57 against 32 µs per call).
/// </remarks>
internal static class RequestWait
{
    /// <summary>
    /// Gets or sets (tests) the configured mode: <c>MULTIPROCESS_REQUEST_WAIT</c> = <c>auto</c> (or unset),
    /// <c>unread</c>, <c>recv</c> or <c>poll</c>, read once; the last three are for measuring against the default.
    /// </summary>
    internal static RequestWaitMode Mode { get; set; } = Environment.GetEnvironmentVariable("MULTIPROCESS_REQUEST_WAIT") switch
    {
        "unread" => RequestWaitMode.Unread,
        "recv" => RequestWaitMode.Recv,
        "poll" => RequestWaitMode.Poll,
        _ => RequestWaitMode.Auto,
    };

    /// <summary>
    /// Gets or sets (tests) whether the request that arrives while a granted acquire's thread waits on its client's
    /// socket is peeked and taken off only after the reply (the default), or read as any other
    /// (<c>MULTIPROCESS_PEEK_AFTER_GRANT=0</c>, read once: for measuring one against the other). Taking it off wakes
    /// the client, asleep for that reply; when the reply waits on a hand-over (a release answers the next waiter
    /// first) the client sleeps again and is woken twice (docs/manager-server/lock-handover.md: 8–15 %
    /// more contended Lock throughput with the peek in the quiet A/B of 10:59).
    /// </summary>
    internal static bool PeekAfterGrant { get; set; } = Environment.GetEnvironmentVariable("MULTIPROCESS_PEEK_AFTER_GRANT") != "0";

    /// <summary>The AF_UNIX transport that last began a wait, and when (Stopwatch ticks).</summary>
    private static object? s_lastWaiter;
    private static long s_lastWaitAt;
    private static readonly long s_othersWindow = Stopwatch.Frequency / 1000;

    /// <summary>
    /// A connection begins its wait for the next request: its last one is answered (<see cref="ConcurrentRequests"/>),
    /// and this decides whether to poll(2) before the recv(2).
    /// </summary>
    /// <param name="waiter">The transport that waits (tells another connection's waits from its own).</param>
    /// <param name="fd">Its AF_UNIX socket.</param>
    /// <returns>Whether to poll for input before the recv(2).</returns>
    /// <remarks>
    /// <see cref="RequestWaitMode.Auto"/>, in this order:
    /// <list type="number">
    /// <item>Two clients' requests served at once within the last 50 ms (<see cref="ConcurrentRequests"/>): poll,
    /// without asking SIOCOUTQ. Several clients are busy for sure, and then the reply is nearly always still unread
    /// when the wait starts (SIOCOUTQ said so in 98–99 % of the waits at 2 and 4 stock dict clients); the ioctl only
    /// added a system call. Server voluntary switches per call 1.07–1.14 → 0.99–1.00 at 2 and 4 clients (10:05).</item>
    /// <item>Another AF_UNIX connection began a wait within the last millisecond: poll if our last message is unread
    /// (SIOCOUTQ), the only case in which the spurious wake-up exists. This test alone failed whenever one of two
    /// clients made calls back to back while the other's process waited for a CPU (0–60 % of the waits polled in such
    /// rounds instead of 71–92 %), hence the rule above; it stays for the first requests of several clients.</item>
    /// <item>Else (one client): recv(2) alone. Quiet machine, 08:20: the poll-while-unread wait made the shim with one
    /// worker 0.71× the stdlib against 1.26× with recv(2) alone, and 3.3–3.6× against 1.9–2.7× with two workers.</item>
    /// </list>
    /// </remarks>
    internal static bool PollsFirst(object waiter, int fd)
    {
        ConcurrentRequests.Unix.Served(fd);
        var mode = Mode;
        if (mode == RequestWaitMode.Auto)
        {
            var now = Stopwatch.GetTimestamp();
            var others = !ReferenceEquals(Volatile.Read(ref s_lastWaiter), waiter) && now - Volatile.Read(ref s_lastWaitAt) < s_othersWindow;
            Volatile.Write(ref s_lastWaiter, waiter);
            Volatile.Write(ref s_lastWaitAt, now);
            mode = ConcurrentRequests.Unix.Lately(now) ? RequestWaitMode.Poll : others ? RequestWaitMode.Unread : RequestWaitMode.Recv;
        }

        return mode == RequestWaitMode.Poll || (mode == RequestWaitMode.Unread && SocketNative.UnreadOutput(fd) != 0);
    }

    /// <summary>A request arrived on <paramref name="fd"/> (read or peeked): it is being served until <see cref="Answered"/>.</summary>
    /// <param name="fd">The AF_UNIX socket.</param>
    internal static void Arrived(int fd) => ConcurrentRequests.Unix.Arrived(fd, Stopwatch.GetTimestamp());

    /// <summary>The request on <paramref name="fd"/> was answered, or its connection closed (a client that died mid-request must not count as busy from then on).</summary>
    /// <param name="fd">The AF_UNIX socket.</param>
    internal static void Answered(int fd) => ConcurrentRequests.Unix.Served(fd);
}
