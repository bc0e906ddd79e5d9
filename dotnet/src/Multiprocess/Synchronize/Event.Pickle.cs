using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Synchronize;

/// <content>Pickling as CPython does: NEWOBJ(Event) + BUILD <c>{'_cond': Condition, '_flag': Semaphore}</c>.</content>
public sealed partial class Event
{
    /// <summary>What CPython writes when it sends an Event to a spawned child (its instance dict).</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The reduce value.</returns>
    public PyReduce Reduce(string package = "multiprocessing") =>
        PyReduce.NewObj(
            PickledShapes.Global(package, "synchronize", "Event"),
            state: new PyDict { ["_cond"] = Condition.Reduce(package), ["_flag"] = Flag.Reduce(package) });

    /// <summary>Rebuilds a pickled CPython Event, reopening its semaphores by name.</summary>
    /// <param name="value">The unpickled value.</param>
    /// <returns>The event.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled Event.</exception>
    /// <exception cref="FileNotFoundException">A semaphore no longer exists.</exception>
    public static Event Rebuild(object? value)
    {
        if (value is not PyReduce { Callable: var cls, State: PyDict state }
            || !PickledShapes.Is(cls, "synchronize", "Event")
            || !state.TryGetValue("_cond", out var cond) || !state.TryGetValue("_flag", out var flag))
        {
            throw PickledShapes.Unexpected("NEWOBJ(multiprocessing.synchronize.Event) + BUILD {'_cond': …, '_flag': …}", value);
        }

        return Rebuild(cond as Condition ?? Condition.Rebuild(cond), Condition.AsSemaphore(flag));
    }
}
