namespace Multiprocess.Managers.Referents;

/// <summary>
/// Waiters of a lock-like object that is handed over directly: a release gives ownership to the oldest waiter
/// instead of freeing it, so a client that releases and at once re-acquires queues behind the others (FIFO, no
/// barging) and no waiter is woken only to find the lock taken again. A waiter that cannot use what it was given
/// (its client hung up, the server stops) gives it back: <c>giveBack</c>, called with that waiter's context, made
/// once per lock so that a wait allocates no closure.
/// </summary>
internal sealed class HandoffQueue(object gate, Action<SharedCallContext> giveBack)
{
    private readonly WaitList _waiters = new();

    public int Count => _waiters.Count;

    /// <summary>Adds a waiter (caller holds the gate).</summary>
    public LinkedListNode<Waiter> Enqueue(SharedCallContext context, long count)
    {
        var node = _waiters.Enqueue();
        node.Value.Context = context;
        node.Value.Count = count;
        return node;
    }

    /// <summary>Takes the oldest waiter to hand ownership to (caller holds the gate), or null.</summary>
    public Waiter? Dequeue() => _waiters.TakeFirst();

    /// <summary>
    /// Sleeps (without the gate) until ownership is handed over (true) or the deadline passes (false); what was handed
    /// over to a call that is abandoned goes back through the queue's giveBack.
    /// </summary>
    /// <exception cref="SessionAbortedException">The client hung up or the server is stopping.</exception>
    public bool Await(LinkedListNode<Waiter> node, SharedCallContext context, Deadline deadline)
    {
        try
        {
            node.Value.Block(context, deadline);
        }
        catch (SessionAbortedException)
        {
            if (!Withdraw(node) && !context.EarlyReplyDelivered())
            {
                giveBack(context);
            }

            throw;
        }

        if (Withdraw(node))
        {
            return false;
        }

        // A client killed while it slept must not keep a lock nobody can release; one that was told it has it (the
        // early reply reached its socket) keeps it, as in CPython: it may have acted on it before it died. The
        // early send under way is waited for first, so the peer check sees what happened before and during it.
        // A client told is not asked whether it is still there (a poll(2) on the path from its release to the next
        // hand-over): if it hung up, the serve loop's next read finds that, and the session ends all the same.
        if (!context.EarlyReplyDelivered() && context.IsPeerGone())
        {
            giveBack(context);
            throw new SessionAbortedException();
        }

        return true;
    }

    /// <summary>Removes a waiter that was not handed ownership; false if it was (too late to withdraw).</summary>
    private bool Withdraw(LinkedListNode<Waiter> node)
    {
        lock (gate)
        {
            if (node.List is null)
            {
                return false;
            }

            _waiters.Remove(node);
            return true;
        }
    }
}
