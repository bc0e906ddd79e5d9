using Multiprocess.Managers.Python;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.Lock</c> (type id <c>Lock</c>, AcquirerProxy): not owned, so any client may release it, as in
/// CPython. A client blocked in <c>acquire</c> blocks only its own connection.
/// </summary>
internal sealed class SharedLock : LockReferent
{
    private readonly object _gate = new();
    private readonly HandoffQueue _waiters;
    private bool _locked;

    public SharedLock() => _waiters = new HandoffQueue(_gate, Release);

    protected override string PythonTypeName => "_thread.lock";

    protected override bool Acquire(SharedCallContext context, bool blocking, Deadline deadline, bool repliesTrue)
    {
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (!_locked)
            {
                _locked = true;
                return true;
            }

            if (!blocking || deadline.Expired)
            {
                return false;
            }

            node = _waiters.Enqueue(context, 1);
            node.Value.RepliesTrue = repliesTrue;
        }

        return _waiters.Await(node, context, deadline);
    }

    public override void Release(SharedCallContext context)
    {
        Waiter? next;
        lock (_gate)
        {
            if (!_locked)
            {
                throw PyErrors.RuntimeError("release unlocked lock");
            }

            // Hand the lock to the oldest waiter (it stays locked), or free it.
            next = _waiters.Dequeue();
            _locked = next is not null;
        }

        next?.Grant();
    }

    public override object? ReleaseSave(SharedCallContext context)
    {
        Release(context);
        return null;
    }

    public override void AcquireRestore(SharedCallContext context, object? state) => Acquire(context, blocking: true, Deadline.Never);

    public override bool? Locked()
    {
        lock (_gate)
        {
            return _locked;
        }
    }

    public override bool IsOwned(SharedCallContext context)
    {
        // threading.Condition._is_owned for a plain lock: "owned" means somebody holds it.
        lock (_gate)
        {
            return _locked;
        }
    }

    public override string Repr()
    {
        lock (_gate)
        {
            return $"<{(_locked ? "locked" : "unlocked")} _thread.lock object at {Address}>";
        }
    }
}
