using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Synchronize;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>sharedctypes.SynchronizedBase</c>: a shared ctypes object with the lock that guards it (an
/// <see cref="RLock"/> unless another lock was given). Pickled, only while a child is being started, as
/// <c>synchronized(obj, lock)</c>: the child rebuilds the object over the same memory and reopens the same semaphore,
/// so C# and Python processes exclude each other with it.
/// </summary>
public abstract class SynchronizedBase : IDisposable
{
    private readonly bool _ownsLock;

    private protected SynchronizedBase(CTypeObject obj, SemLock? semLock, bool ownsLock)
    {
        Obj = obj;
        _ownsLock = semLock is null || ownsLock;
        Lock = semLock ?? new RLock();
    }

    /// <summary>Gets the lock (CPython's <c>get_lock()</c>).</summary>
    public SemLock Lock { get; }

    /// <summary>Gets the unsynchronized object (CPython's <c>get_obj()</c>).</summary>
    public CTypeObject Obj { get; }

    /// <summary>CPython's <c>get_lock()</c>.</summary>
    /// <returns>The lock.</returns>
    public SemLock GetLock() => Lock;

    /// <summary>Acquires the lock.</summary>
    /// <param name="block">Whether to wait.</param>
    /// <param name="timeout">The longest wait; null waits forever.</param>
    /// <returns>Whether the lock was acquired.</returns>
    public bool Acquire(bool block = true, TimeSpan? timeout = null) => Lock.Acquire(block, timeout);

    /// <summary>Releases the lock.</summary>
    public void Release() => Lock.Release();

    /// <summary>Holds the lock until the scope is disposed (Python's <c>with value:</c>).</summary>
    /// <returns>The scope.</returns>
    public SemLock.Scope EnterScope() => Lock.EnterScope();

    /// <summary>Frees the object's block (when allocated here) and closes the lock this wrapper created.</summary>
    public void Dispose()
    {
        Obj.Dispose();
        if (_ownsLock)
        {
            Lock.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>CPython's repr shape: <c>&lt;Synchronized wrapper for c_int(5)&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<{PythonClassName} wrapper for {Obj}>";

    private protected abstract string PythonClassName { get; }

    /// <summary>SynchronizedBase.__reduce__: <c>synchronized, (obj, lock)</c>, only while spawning.</summary>
    internal PyReduce Reduce(string package)
    {
        SpawningPopen.AssertSpawning(PythonClassName);
        return new PyReduce(PickledShapes.Global(package, "sharedctypes", "synchronized"), PyTuple.Create(Obj, Lock));
    }

    /// <summary>sharedctypes.synchronized(obj, lock) for a received pickle.</summary>
    internal static SynchronizedBase Rebuild(PyReduce value)
    {
        if (value.Args is not { Count: >= 1 and <= 3 } args || args[0] is not CTypeObject obj
            || (args.Count > 1 && args[1] is not (null or SemLock)))
        {
            throw PickledShapes.Unexpected("synchronized(rebuild_ctype(...), Lock or RLock)", value);
        }

        if (args.Count < 2 || args[1] is not SemLock semLock)
        {
            // synchronized(obj) makes a fresh RLock in CPython too.
            return obj.Synchronize(new RLock());
        }

        return obj.Synchronize(semLock);
    }
}
