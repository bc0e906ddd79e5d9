using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.Semaphore</c> and <c>threading.BoundedSemaphore</c> (type ids <c>Semaphore</c>,
/// <c>BoundedSemaphore</c>; AcquirerProxy), CPython's algorithm: <c>acquire(blocking=True, timeout=None)</c>,
/// <c>release(n=1)</c>.
/// </summary>
internal sealed class SharedSemaphore : Referent, ILockReferent
{
    private static readonly PySignature s_init = new("Semaphore", ["value"], [1L]);
    private static readonly PySignature s_acquire = new("acquire", ["blocking", "timeout"], [true, null]);
    private static readonly PySignature s_release = new("release", ["n"], [1L]);

    private readonly object _gate = new();
    private readonly HandoffQueue _waiters;
    private readonly bool _bounded;
    private readonly long _initial;
    private long _value;

    private SharedSemaphore(long value, bool bounded)
    {
        _value = value;
        _initial = value;
        _bounded = bounded;
        _waiters = new HandoffQueue(_gate, _ => ReleaseN(1));
    }

    /// <summary><c>Semaphore(value=1)</c> / <c>BoundedSemaphore(value=1)</c>.</summary>
    public static SharedSemaphore Create(PyTuple args, PyDict kwargs, bool bounded)
    {
        var value = PyValues.AsIndex(s_init.Bind(args, kwargs)[0]);
        if (value < 0)
        {
            throw PyErrors.ValueError("semaphore initial value must be >= 0");
        }

        return new SharedSemaphore(value, bounded);
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "acquire":
                return CallAcquire(args, kwargs, context);
            case "release":
                var r = default(Arguments); // bound on the stack: no allocation per call
                s_release.Bind(args, kwargs, r);
                var n = PyValues.AsIndex(r[0]);
                ReleaseN(n);
                return null;
            default:
                throw NoSuchMethod(_bounded ? "BoundedSemaphore" : "Semaphore", name);
        }
    }

    /// <summary>threading.Semaphore has no <c>locked()</c>: 3.14's AcquirerProxy exposes it anyway, and the call is an AttributeError.</summary>
    public override bool HasMethod(string name) => name != "locked";

    public bool? Locked() => null;

    public object? CallAcquire(PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        var a = default(Arguments);
        s_acquire.Bind(args, kwargs, a);
        var blocking = PyValues.IsTrue(a[0]);
        var timeout = PyValues.AsTimeout(a[1]);
        if (!blocking && timeout is not null)
        {
            throw PyErrors.ValueError("can't specify timeout for non-blocking acquire");
        }

        return PyValues.Box(Acquire(context, blocking, Deadline.FromSeconds(timeout), repliesTrue: true));
    }

    public bool Acquire(SharedCallContext context, bool blocking, Deadline deadline) => Acquire(context, blocking, deadline, repliesTrue: false);

    private bool Acquire(SharedCallContext context, bool blocking, Deadline deadline, bool repliesTrue)
    {
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_value > 0)
            {
                _value--;
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

    public void Release(SharedCallContext context) => ReleaseN(1);

    public object? ReleaseSave(SharedCallContext context)
    {
        ReleaseN(1);
        return null;
    }

    public void AcquireRestore(SharedCallContext context, object? state) => Acquire(context, blocking: true, Deadline.Never);

    public bool IsOwned(SharedCallContext context)
    {
        // threading.Condition._is_owned's fallback: owned unless a non-blocking acquire succeeds.
        lock (_gate)
        {
            return _value == 0;
        }
    }

    public override string Repr()
    {
        lock (_gate)
        {
            return _bounded
                ? $"<threading.BoundedSemaphore at {Address}: value={_value}/{_initial}>"
                : $"<threading.Semaphore at {Address}: value={_value}>";
        }
    }

    private void ReleaseN(long n)
    {
        if (n < 1)
        {
            throw PyErrors.ValueError("n must be one or more");
        }

        Waiter? first = null;
        List<Waiter>? more = null; // release(n > 1) that wakes several: the common hand-over to one waiter allocates nothing
        lock (_gate)
        {
            if (_bounded && _value + n > _initial)
            {
                throw PyErrors.ValueError("Semaphore released too many times");
            }

            // Each released unit goes straight to a waiter if there is one.
            for (; n > 0 && _waiters.Dequeue() is { } next; n--)
            {
                if (first is null)
                {
                    first = next;
                }
                else
                {
                    (more ??= []).Add(next);
                }
            }

            _value += n;
        }

        // Outside the gate, oldest first: a grant may answer the waiter's client.
        first?.Grant();
        more?.ForEach(static w => w.Grant());
    }
}
