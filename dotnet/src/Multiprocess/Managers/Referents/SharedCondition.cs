using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.Condition(lock=None)</c> (type id <c>Condition</c>, ConditionProxy): <c>acquire</c>, <c>release</c>,
/// <c>wait(timeout=None)</c>, <c>notify(n=1)</c>, <c>notify_all()</c>; <c>wait_for</c> runs in the client. The lock
/// is a fresh RLock, or a Lock/RLock/Semaphore proxy of this server passed by the client.
/// </summary>
internal sealed class SharedCondition : Referent
{
    private static readonly PySignature s_wait = new("wait", ["timeout"], [null]);
    private static readonly PySignature s_notify = new("notify", ["n"], [1L]);
    private static readonly PySignature s_notifyAll = PySignature.None("notify_all");
    private static readonly PySignature s_release = PySignature.None("release");

    private readonly object _gate = new();
    private readonly WaitList _waiters = new();
    private readonly ILockReferent _lock;

    public SharedCondition(ILockReferent? lockReferent) => _lock = lockReferent ?? new SharedRLock();

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "acquire":
                return _lock.CallAcquire(args, kwargs, context);
            case "release":
                s_release.BindNone(args, kwargs);
                _lock.Release(context);
                return null;
            case "wait":
                var w = default(Arguments); // bound on the stack: no allocation per call
                s_wait.Bind(args, kwargs, w);
                return Wait(context, PyValues.AsTimeout(w[0]));
            case "notify":
                var n = default(Arguments);
                s_notify.Bind(args, kwargs, n);
                Notify(context, PyValues.AsIndex(n[0]));
                return null;
            case "locked":
                PySignature.None(name).BindNone(args, kwargs);
                return _lock.Locked();
            case "notify_all" or "notifyAll":
                s_notifyAll.BindNone(args, kwargs);
                Notify(context, int.MaxValue);
                return null;
            default:
                throw NoSuchMethod("Condition", name);
        }
    }

    /// <summary>3.14's Condition copies <c>locked</c> from its lock; a semaphore has none.</summary>
    public override bool HasMethod(string name) => name != "locked" || _lock.Locked() is not null;

    public override string Repr()
    {
        int waiting;
        lock (_gate)
        {
            waiting = _waiters.Count;
        }

        return $"<Condition({_lock.Repr()}, {waiting})>";
    }

    private bool Wait(SharedCallContext context, double? timeout)
    {
        if (!_lock.IsOwned(context))
        {
            throw PyErrors.RuntimeError("cannot wait on un-acquired lock");
        }

        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            node = _waiters.Enqueue();
        }

        var saved = _lock.ReleaseSave(context);
        var notified = false;
        try
        {
            // Condition.wait: timeout <= 0 only polls the waiter lock.
            if (timeout is <= 0)
            {
                lock (_gate)
                {
                    notified = node.List is null;
                }
            }
            else
            {
                notified = node.Value.Block(context, Deadline.FromSeconds(timeout));
            }
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Finish(node, notified);
            }

            // Re-taking the lock is what Python does even on the way out of an exception; a connection that is
            // being torn down skips it (nobody will ever release it).
            if (!context.Aborted)
            {
                _lock.AcquireRestore(context, saved);
            }
        }

        return notified;
    }

    private void Notify(SharedCallContext context, long n)
    {
        if (!_lock.IsOwned(context))
        {
            throw PyErrors.RuntimeError("cannot notify on un-acquired lock");
        }

        lock (_gate)
        {
            _waiters.Notify((int)Math.Clamp(n, 0, int.MaxValue));
        }
    }
}
