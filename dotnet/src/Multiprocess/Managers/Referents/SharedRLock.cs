using Multiprocess.Managers.Python;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.RLock</c> (type id <c>RLock</c>, AcquirerProxy). In CPython's server the owner is the thread serving
/// the client's connection; here it is that connection (<see cref="SharedCallContext"/>): the same process and
/// thread may re-acquire, anybody else waits, and only the owner may release.
/// </summary>
/// <remarks>
/// When the owning connection ends (the client process died, or its thread's connection closed) the lock is
/// released and handed to the next waiter (<see cref="ReleaseDeadOwner"/>; the server logs it). CPython's server
/// keeps such a lock owned by its finished serving thread for ever: nobody can release it, every later acquire
/// blocks. Here no live client can lose by the release, since only the owner's connection could ever have released
/// it (docs/limits.md, "A lock whose holder died").
/// </remarks>
internal sealed class SharedRLock : LockReferent
{
    private readonly object _gate = new();
    private readonly HandoffQueue _waiters;
    private SharedCallContext? _owner;
    private long _count;

    public SharedRLock() => _waiters = new HandoffQueue(_gate, GiveBack);

    protected override string PythonTypeName => "_thread.RLock";

    public override void Release(SharedCallContext context)
    {
        Waiter? next = null;
        lock (_gate)
        {
            if (_owner != context || _count == 0)
            {
                throw PyErrors.RuntimeError("cannot release un-acquired lock");
            }

            if (--_count == 0)
            {
                next = HandOver();
            }
        }

        next?.Grant(); // outside the gate: it may answer the waiter's client
    }

    public override object? ReleaseSave(SharedCallContext context)
    {
        long count;
        Waiter? next;
        lock (_gate)
        {
            if (_owner != context || _count == 0)
            {
                throw PyErrors.RuntimeError("cannot release un-acquired lock");
            }

            count = _count;
            _count = 0;
            next = HandOver();
        }

        // Granted, not only signaled: a client's blocked acquire waits on its socket (Waiter.AwaitNextRequest), where
        // a signal is seen only at its next peer check (1 s); the grant answers that client at once.
        next?.Grant();
        return count;
    }

    public override void AcquireRestore(SharedCallContext context, object? state) =>
        AcquireCount(context, blocking: true, Deadline.Never, (long)state!);

    /// <summary>3.14's <c>RLock.locked()</c>: whether any client holds it.</summary>
    public override bool? Locked()
    {
        lock (_gate)
        {
            return _owner is not null && _count > 0;
        }
    }

    public override bool IsOwned(SharedCallContext context)
    {
        lock (_gate)
        {
            return _owner == context && _count > 0;
        }
    }

    public override string Repr()
    {
        lock (_gate)
        {
            return _owner is null
                ? $"<unlocked _thread.RLock object owner=0 count=0 at {Address}>"
                : $"<locked _thread.RLock object owner={_owner.ThreadIdent} count={_count} at {Address}>";
        }
    }

    protected override bool Acquire(SharedCallContext context, bool blocking, Deadline deadline, bool repliesTrue) =>
        AcquireCount(context, blocking, deadline, 1, repliesTrue);

    private bool AcquireCount(SharedCallContext context, bool blocking, Deadline deadline, long count, bool repliesTrue = false)
    {
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_owner == context)
            {
                _count += count;
                return true;
            }

            if (_owner is null)
            {
                SetOwner(context);
                _count = count;
                return true;
            }

            if (!blocking || deadline.Expired)
            {
                return false;
            }

            node = _waiters.Enqueue(context, count);
            node.Value.RepliesTrue = repliesTrue;
        }

        return _waiters.Await(node, context, deadline);
    }

    /// <summary>A waiter that was handed the lock cannot use it (its client is gone): the next waiter gets it.</summary>
    private void GiveBack(SharedCallContext context)
    {
        Waiter? next;
        lock (_gate)
        {
            _count = 0;
            next = HandOver();
        }

        next?.Grant();
    }

    /// <summary>
    /// Gives the free lock to the oldest waiter with the count it asked for, or leaves it free (caller holds the
    /// gate); the caller grants the waiter (<see cref="Waiter.Grant"/>) outside the gate: the grant may send.
    /// </summary>
    private Waiter? HandOver()
    {
        if (_waiters.Dequeue() is { } next)
        {
            SetOwner(next.Context);
            _count = next.Count;
            return next;
        }

        SetOwner(null);
        return null;
    }

    /// <summary>Changes the owner, keeping each connection's list of the RLocks it holds (caller holds the gate).</summary>
    private void SetOwner(SharedCallContext? owner)
    {
        if (_owner == owner)
        {
            return;
        }

        _owner?.NoteRLockReleased(this);
        _owner = owner;
        owner?.NoteRLockOwned(this);
    }

    /// <summary>The owning connection has ended: releases the lock completely and hands it to the next waiter.</summary>
    /// <param name="dead">The connection that ended.</param>
    /// <param name="released">Told the recursion count released, before the next waiter is answered.</param>
    internal void ReleaseDeadOwner(SharedCallContext dead, Action<SharedRLock, long> released)
    {
        Waiter? next;
        long count;
        lock (_gate)
        {
            if (_owner != dead || _count == 0)
            {
                return;
            }

            count = _count;
            _count = 0;
            next = HandOver();
        }

        released(this, count);
        next?.Grant();
    }
}
