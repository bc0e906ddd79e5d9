using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// What <c>threading.Lock</c> and <c>threading.RLock</c> referents share (<see cref="SharedLock"/>,
/// <see cref="SharedRLock"/>): the methods AcquirerProxy calls, <c>acquire(blocking=True, timeout=-1)</c>,
/// <c>release()</c> and <c>locked()</c>, bound as CPython binds them. Each lock says what acquiring and releasing mean.
/// </summary>
internal abstract class LockReferent : Referent, ILockReferent
{
    private static readonly PySignature s_release = PySignature.None("release");
    private static readonly PySignature s_locked = PySignature.None("locked");

    /// <summary>Gets CPython's type name in errors: <c>_thread.lock</c> or <c>_thread.RLock</c>.</summary>
    protected abstract string PythonTypeName { get; }

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
                s_locked.BindNone(args, kwargs);
                return Locked();
            default:
                throw NoSuchMethod(PythonTypeName, name);
        }
    }

    public object? CallAcquire(PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        var (blocking, deadline) = LockArguments.Acquire(args, kwargs);
        return PyValues.Box(Acquire(context, blocking, deadline, repliesTrue: true));
    }

    public bool Acquire(SharedCallContext context, bool blocking, Deadline deadline) => Acquire(context, blocking, deadline, repliesTrue: false);

    public abstract void Release(SharedCallContext context);

    public abstract object? ReleaseSave(SharedCallContext context);

    public abstract void AcquireRestore(SharedCallContext context, object? state);

    public abstract bool? Locked();

    public abstract bool IsOwned(SharedCallContext context);

    /// <summary>Acquires once; <paramref name="repliesTrue"/>: a waiter answers its client with <c>True</c> itself
    /// when the lock is handed to it (the call came from a client, not from a Condition).</summary>
    protected abstract bool Acquire(SharedCallContext context, bool blocking, Deadline deadline, bool repliesTrue);
}
