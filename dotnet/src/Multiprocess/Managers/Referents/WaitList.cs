namespace Multiprocess.Managers.Referents;

/// <summary>
/// The waiters of one condition (CPython's <c>Condition._waiters</c>): FIFO, notify wakes the oldest. Guarded by
/// whatever guards the condition's state, which the caller holds for every call here.
/// </summary>
internal sealed class WaitList
{
    private readonly LinkedList<Waiter> _waiters = new();

    public int Count => _waiters.Count;

    /// <summary>Adds a waiter (caller holds the guard).</summary>
    public LinkedListNode<Waiter> Enqueue() => _waiters.AddLast(new Waiter());

    /// <summary>
    /// After a wait ended (caller holds the guard again): drops the waiter if no notify took it; if a notify did
    /// but the wait is not going to act on it (timeout race, abort), hands the notification to the next waiter so
    /// none is lost.
    /// </summary>
    public void Finish(LinkedListNode<Waiter> node, bool consumed)
    {
        if (node.List is not null)
        {
            _waiters.Remove(node);
        }
        else if (!consumed)
        {
            Notify(1);
        }
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters, oldest first (caller holds the guard).</summary>
    public void Notify(int n)
    {
        while (n-- > 0 && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            first.Value.Signal();
        }
    }

    public void NotifyAll() => Notify(int.MaxValue);

    /// <summary>Removes and returns the oldest waiter without waking it (caller holds the guard).</summary>
    public Waiter? TakeFirst()
    {
        if (_waiters.First is not { } first)
        {
            return null;
        }

        _waiters.RemoveFirst();
        return first.Value;
    }

    /// <summary>Removes a waiter still in the list (caller holds the guard).</summary>
    public void Remove(LinkedListNode<Waiter> node) => _waiters.Remove(node);

    /// <summary>
    /// Condition-variable wait with a <see cref="Monitor"/> as the lock: the caller holds <paramref name="gate"/>
    /// exactly once; it is released while asleep and held again on return (also when this throws).
    /// </summary>
    /// <returns>True when notified, false at the deadline.</returns>
    /// <exception cref="SessionAbortedException">The client hung up (checked again after waking, before the caller acts) or the server is stopping.</exception>
    public bool Wait(object gate, SharedCallContext context, Deadline deadline)
    {
        var node = Enqueue();
        var signaled = false;
        Monitor.Exit(gate);
        try
        {
            signaled = node.Value.Block(context, deadline);
        }
        finally
        {
            Monitor.Enter(gate);
            Finish(node, signaled);
        }

        // A client killed while it slept must not take the item or lock it was woken for.
        if (signaled && context.IsPeerGone())
        {
            Notify(1);
            throw new SessionAbortedException();
        }

        return signaled;
    }
}
