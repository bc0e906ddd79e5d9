using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Shm;

/// <content>Pickling as CPython does, so that a segment crosses between C# and Python processes.</content>
public sealed partial class SharedMemory
{
    /// <summary>
    /// CPython's <c>__reduce__</c>: <c>REDUCE(multiprocessing.shared_memory.SharedMemory, (name, False, size))</c>; the
    /// receiver attaches by name (and, in CPython ≤ 3.12, registers with its tracker).
    /// </summary>
    /// <param name="package"><c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</param>
    /// <returns>The reduce value, for <see cref="PickleSerializer"/>.</returns>
    /// <exception cref="ArgumentException">Another package.</exception>
    public PyReduce Reduce(string package = "multiprocessing") =>
        new(PickledShapes.Global(package, "shared_memory", "SharedMemory"), PyTuple.Create(Name, false, Size));

    /// <summary>Attaches to the segment a pickled CPython SharedMemory names (the inverse of <see cref="Reduce"/>).</summary>
    /// <param name="value">The unpickled value: <c>REDUCE(…shared_memory.SharedMemory, (name, create, size))</c>.</param>
    /// <param name="track">Register with the resource tracker, as CPython's receiver does.</param>
    /// <returns>The attached segment.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled SharedMemory.</exception>
    /// <exception cref="FileNotFoundException">The segment no longer exists.</exception>
    public static SharedMemory Rebuild(object? value, bool track = true)
    {
        if (value is not PyReduce { Kind: PyReduceKind.Reduce } r
            || !PickledShapes.Is(r.Callable, "shared_memory", "SharedMemory")
            || r.Args.Count is < 1 or > 3
            || r.Args[0] is not string name)
        {
            throw PickledShapes.Unexpected("REDUCE(multiprocessing.shared_memory.SharedMemory, (name, False, size))", value);
        }

        var create = r.Args.Count > 1 && r.Args[1] is true;
        var size = r.Args.Count > 2 && r.Args[2] is long l ? l : 0;
        return new SharedMemory(name, create, size, track);
    }
}
