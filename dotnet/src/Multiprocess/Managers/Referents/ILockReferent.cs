namespace Multiprocess.Managers.Referents;

/// <summary>
/// What <c>threading.Condition</c> needs of its lock (<c>acquire</c>, <c>release</c>, <c>_release_save</c>,
/// <c>_acquire_restore</c>, <c>_is_owned</c>), with ownership meaning the client connection.
/// </summary>
internal interface ILockReferent
{
    bool Acquire(SharedCallContext context, bool blocking, Deadline deadline);

    void Release(SharedCallContext context);

    /// <summary>Releases completely, returning what <see cref="AcquireRestore"/> needs (an RLock's count).</summary>
    object? ReleaseSave(SharedCallContext context);

    void AcquireRestore(SharedCallContext context, object? state);

    bool IsOwned(SharedCallContext context);

    /// <summary><c>locked()</c> (3.14's AcquirerProxy and ConditionProxy expose it): held by anybody; null for a semaphore, which has no such method.</summary>
    bool? Locked();

    /// <summary>The <c>acquire(...)</c> method with the lock's own Python signature.</summary>
    object? CallAcquire(Pickle.PyTuple args, Pickle.PyDict kwargs, SharedCallContext context);

    string Repr();
}
