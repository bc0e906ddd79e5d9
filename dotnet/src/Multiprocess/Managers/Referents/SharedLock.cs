using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.Lock</c> (type id <c>Lock</c>, AcquirerProxy): not owned, so any client may release it, as in
/// CPython. A client blocked in <c>acquire</c> blocks only its own connection.
/// </summary>
internal sealed class SharedLock : Referent, ILockReferent
{
    private static readonly PySignature s_release = PySignature.None("release");

    private readonly object _gate = new();
    private readonly HandoffQueue _waiters;
    private bool _locked;

    public SharedLock() => _waiters = new HandoffQueue(_gate);

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "acquire":
                return CallAcquire(args, kwargs, context);
            case "release":
                s_release.BindNone(args, kwargs);
                Release(context);
                return null;
            case "locked":
                PySignature.None(name).BindNone(args, kwargs);
                return Locked();
            default:
                throw NoSuchMethod("_thread.lock", name);
        }
    }

    public object? CallAcquire(PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        var (blocking, deadline) = LockArguments.Acquire(args, kwargs);
        return Acquire(context, blocking, deadline, repliesTrue: true);
    }

    public bool Acquire(SharedCallContext context, bool blocking, Deadline deadline) => Acquire(context, blocking, deadline, repliesTrue: false);

    private bool Acquire(SharedCallContext context, bool blocking, Deadline deadline, bool repliesTrue)
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

        return _waiters.Await(node, context, deadline, () => Release(context));
    }

    public void Release(SharedCallContext context)
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

    public object? ReleaseSave(SharedCallContext context)
    {
        Release(context);
        return null;
    }

    public void AcquireRestore(SharedCallContext context, object? state) => Acquire(context, blocking: true, Deadline.Never);

    public bool? Locked()
    {
        lock (_gate)
        {
            return _locked;
        }
    }

    public bool IsOwned(SharedCallContext context)
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
