using Multiprocess.Managers.Python;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// One blocked call: the per-waiter lock of CPython's <c>threading.Condition</c> (its <c>_waiters</c> deque holds one
/// per sleeping thread), so <c>notify(n)</c> wakes exactly n callers. While asleep it wakes every
/// <see cref="PeerCheckInterval"/> to see whether its client hung up, so a dead client's call ends.
/// </summary>
internal sealed class Waiter
{
    /// <summary>How often a blocked call checks its client's socket (also the bound on how long a dead client's call lingers).</summary>
    public static int PeerCheckInterval { get; set; } = 1000;

    private readonly object _gate = new();
    private bool _signaled;
    private bool _aborted;
    private bool _finished;
    private bool _inMonitorWait; // a thread sleeps in Monitor.Wait(_gate): only then is there anyone to pulse

    /// <summary>Gets or sets who waits, for locks that hand ownership straight to a waiter.</summary>
    public SharedCallContext? Context { get; set; }

    /// <summary>Gets or sets how much the waiter asked for (an RLock's recursion count to restore).</summary>
    public long Count { get; set; }

    /// <summary>Gets or sets a value indicating whether the waiting call is a client's acquire, answered True when granted.</summary>
    public bool RepliesTrue { get; set; }

    /// <summary>
    /// Signals the waiter that it was granted what it waits for, and when it is a client's acquire answers the
    /// client at once (<see cref="SharedCallContext.ClaimEarlyReply"/>). Call it outside the referent's gate: it may send.
    /// </summary>
    public void Grant()
    {
        bool early;
        lock (_gate)
        {
            if (_signaled)
            {
                return;
            }

            // Claimed before the waiter can wake: its thread then skips its own reply.
            early = RepliesTrue && !_finished && Context is { } c && c.ClaimEarlyReply();
            _signaled = true;
            PulseIfWaiting();
        }

        if (early)
        {
            Context!.SendEarlyReply(PyValues.Box(true)); // the shared box: a bare `true` was boxed anew per hand-over
        }
    }

    /// <summary>Wakes the waiter as notified; false if it was already.</summary>
    public bool Signal()
    {
        lock (_gate)
        {
            if (_signaled)
            {
                return false;
            }

            _signaled = true;
            PulseIfWaiting();
            return true;
        }
    }

    /// <summary>Wakes the waiter to fail with <see cref="SessionAbortedException"/>.</summary>
    public void Abort()
    {
        lock (_gate)
        {
            _aborted = true;
            PulseIfWaiting();
        }
    }

    /// <summary>Sleeps until signaled (true) or the deadline (false).</summary>
    /// <exception cref="SessionAbortedException">The client hung up or the server is stopping.</exception>
    public bool Block(SharedCallContext context, Deadline deadline)
    {
        context.SetWaiter(this);
        try
        {
            if (RepliesTrue && context.CanAwaitNextRequest && AwaitNextRequest(context, deadline) is { } outcome)
            {
                return outcome;
            }

            lock (_gate)
            {
                while (!_signaled)
                {
                    if (_aborted || context.Aborted)
                    {
                        throw new SessionAbortedException();
                    }

                    var ms = deadline.RemainingMilliseconds(PeerCheckInterval);
                    if (ms == 0)
                    {
                        return false;
                    }

                    _inMonitorWait = true;
                    bool pulsed;
                    try
                    {
                        pulsed = Monitor.Wait(_gate, ms);
                    }
                    finally
                    {
                        _inMonitorWait = false;
                    }

                    if (!pulsed && !_signaled && context.IsPeerGone())
                    {
                        throw new SessionAbortedException();
                    }
                }

                return true;
            }
        }
        finally
        {
            lock (_gate)
            {
                _finished = true;
            }

            context.SetWaiter(null);
        }
    }

    /// <summary>
    /// Wakes the thread in <see cref="Block"/>'s monitor wait, if one is there (caller holds the gate). A grant to a
    /// waiter asleep on its client's socket (<see cref="AwaitNextRequest"/>) has nobody to pulse, and Monitor.Pulse
    /// would still give this waiter's fresh gate object a sync block (the runtime's inflated lock) per hand-over.
    /// </summary>
    private void PulseIfWaiting()
    {
        if (_inMonitorWait)
        {
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// The wait of a client's acquire that <see cref="Grant"/> answers itself: the grant sends the client its
    /// <c>True</c>, so this thread has nothing to do until the client's next request (its release) arrives, and it
    /// sleeps for that on the client's socket (poll(2) for input) instead of on a monitor that the grant would have
    /// to wake: one thread wake-up per hand-off, not two. Input before any grant means the client hung up, or sent a
    /// request before its answer; the monitor wait then takes over (the input stays unread).
    /// </summary>
    /// <returns>True once granted; false at the deadline; null: input came first, wait on the monitor.</returns>
    private bool? AwaitNextRequest(SharedCallContext context, Deadline deadline)
    {
        while (true)
        {
            if (Volatile.Read(ref _aborted) || context.Aborted)
            {
                throw new SessionAbortedException();
            }

            // A grant to a client that keeps the lock long ends this wait at the next check: the thread goes back to
            // the serve loop, which parks the connection.
            var ms = deadline.RemainingMilliseconds(PeerCheckInterval);
            var input = ms > 0 && context.WaitForInput(ms);
            lock (_gate)
            {
                if (_signaled)
                {
                    if (input)
                    {
                        // The client's next request (or hang-up) is there: the serving loop reads it at once.
                        context.NoteInputReady();
                    }

                    return true;
                }
            }

            if (ms == 0)
            {
                return false;
            }

            if (input)
            {
                if (context.Aborted || context.IsPeerGone())
                {
                    throw new SessionAbortedException();
                }

                return null;
            }
        }
    }
}
