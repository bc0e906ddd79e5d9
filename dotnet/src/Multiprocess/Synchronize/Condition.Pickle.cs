using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Synchronize;

/// <content>Pickling as CPython does: NEWOBJ(Condition) + BUILD (lock, sleeping_count, woken_count, wait_semaphore).</content>
public sealed partial class Condition
{
    /// <summary>What CPython writes when it sends a Condition to a spawned child: its four SemLocks, each by name.</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The reduce value.</returns>
    public PyReduce Reduce(string package = "multiprocessing") =>
        PyReduce.NewObj(
            PickledShapes.Global(package, "synchronize", "Condition"),
            state: PyTuple.Create(Lock.Reduce(package), SleepingCount.Reduce(package), WokenCount.Reduce(package), WaitSemaphore.Reduce(package)));

    /// <summary>Rebuilds a pickled CPython Condition, reopening its four SemLocks by name.</summary>
    /// <param name="value">The unpickled value (its SemLocks either still reduce values, or already rebuilt through a
    /// registry, see <see cref="SharedObjectReducers"/>).</param>
    /// <returns>The condition.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled Condition.</exception>
    /// <exception cref="FileNotFoundException">A semaphore no longer exists.</exception>
    public static Condition Rebuild(object? value)
    {
        if (value is not PyReduce { Callable: var cls, State: PyTuple { Count: 4 } state }
            || !PickledShapes.Is(cls, "synchronize", "Condition"))
        {
            throw PickledShapes.Unexpected("NEWOBJ(multiprocessing.synchronize.Condition) + BUILD (lock, sleeping, woken, wait)", value);
        }

        return Rebuild(AsSemLock(state[0]), AsSemaphore(state[1]), AsSemaphore(state[2]), AsSemaphore(state[3]));
    }

    internal static SemLock AsSemLock(object? value) => value as SemLock ?? SemLock.Rebuild(value);

    internal static Semaphore AsSemaphore(object? value) =>
        AsSemLock(value) as Semaphore ?? throw PickledShapes.Unexpected("a pickled Semaphore", value);
}
