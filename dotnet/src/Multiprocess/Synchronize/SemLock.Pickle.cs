using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Synchronize;

/// <content>Pickling as CPython does: <c>NEWOBJ(synchronize.Lock)</c> + BUILD <c>(handle, kind, maxvalue, name)</c>.</content>
public partial class SemLock
{
    /// <summary>Gets the CPython class this object pickles as (<c>Lock</c>, <c>RLock</c>, <c>Semaphore</c>,
    /// <c>BoundedSemaphore</c>); for a plain SemLock, the class its kind and maxvalue imply.</summary>
    public virtual string PythonClassName => Kind == SemLockKind.RecursiveMutex ? "RLock"
        : MaxValue == 1 ? "Lock"
        : MaxValue == SemValueMax ? "Semaphore"
        : "BoundedSemaphore";

    /// <summary>
    /// What CPython writes when it sends this lock to a spawned child: <c>NEWOBJ(multiprocessing.synchronize.Lock)</c>
    /// then BUILD with <c>(handle, kind, maxvalue, name)</c>; the receiver reopens it by name.
    /// </summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The reduce value.</returns>
    public PyReduce Reduce(string package = "multiprocessing") =>
        PyReduce.NewObj(
            PickledShapes.Global(package, "synchronize", PythonClassName),
            state: PyTuple.Create((long)Handle, (long)Kind, (long)MaxValue, Name));

    /// <summary>Reopens a lock from a pickled CPython SemLock (Lock, RLock, Semaphore or BoundedSemaphore) by name.</summary>
    /// <param name="value">The unpickled value: NEWOBJ of a synchronize class with a 4-tuple state.</param>
    /// <returns>A <see cref="Lock"/>, <see cref="RLock"/>, <see cref="Semaphore"/> or <see cref="BoundedSemaphore"/>.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled SemLock, or it has no name (a fork-context
    /// lock).</exception>
    /// <exception cref="FileNotFoundException">The semaphore no longer exists.</exception>
    public static SemLock Rebuild(object? value)
    {
        const string Expected = "NEWOBJ(multiprocessing.synchronize.<Lock|RLock|Semaphore|BoundedSemaphore>) + BUILD (handle, kind, maxvalue, name)";
        if (value is not PyReduce { Callable: PyGlobal cls, State: PyTuple { Count: 4 } state }
            || !(PickledShapes.Is(cls, "synchronize", cls.Name) && cls.Name is "Lock" or "RLock" or "Semaphore" or "BoundedSemaphore")
            || state[1] is not long kind || state[2] is not long maxValue)
        {
            throw PickledShapes.Unexpected(Expected, value);
        }

        if (state[3] is not string name)
        {
            throw new InvalidDataException(
                $"the pickled {cls.Name} has no name: it was created in a fork context, which cannot be shared by name "
                + "(create it with multiprocessing.get_context('spawn'))");
        }

        return cls.Name switch
        {
            "Lock" => Lock.Rebuild(name),
            "RLock" => RLock.Rebuild(name),
            "Semaphore" => Semaphore.Rebuild(name),
            _ => kind == (long)SemLockKind.Semaphore
                ? BoundedSemaphore.Rebuild(name, checked((int)maxValue))
                : throw PickledShapes.Unexpected(Expected, value),
        };
    }
}
