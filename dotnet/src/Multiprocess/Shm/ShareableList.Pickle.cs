using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Shm;

/// <content>Pickling as CPython's ForkingPickler does: <c>partial(ShareableList, name=…)()</c>.</content>
public sealed partial class ShareableList
{
    /// <summary>
    /// What CPython's ForkingPickler writes for a ShareableList: <c>__reduce__</c> returns
    /// <c>(functools.partial(ShareableList, name=name), ())</c>, and multiprocessing reduces the partial with
    /// <c>multiprocessing.reduction._rebuild_partial(ShareableList, (), {'name': name})</c>. The receiver attaches.
    /// </summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The reduce value.</returns>
    public PyReduce Reduce(string package = "multiprocessing")
    {
        var partial = new PyReduce(
            PickledShapes.Global(package, "reduction", "_rebuild_partial"),
            PyTuple.Create(PickledShapes.Global(package, "shared_memory", "ShareableList"), PyTuple.Empty, new PyDict { ["name"] = Shm.Name }));
        return new PyReduce(partial, PyTuple.Empty);
    }

    /// <summary>Attaches to the list a pickled CPython ShareableList names: the ForkingPickler form above, or plain
    /// pickle's <c>functools.partial</c> form.</summary>
    /// <param name="value">The unpickled value.</param>
    /// <param name="layout">The layout, or null to tell from the header.</param>
    /// <param name="track">Register the segment with the resource tracker, as CPython's receiver does.</param>
    /// <returns>The attached list.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled ShareableList, or the segment does not hold
    /// one.</exception>
    /// <exception cref="FileNotFoundException">The segment no longer exists.</exception>
    public static ShareableList Rebuild(object? value, ShareableListLayout? layout = null, bool track = true)
    {
        const string Expected = "REDUCE(_rebuild_partial(ShareableList, (), {'name': name}), ()) or REDUCE(partial(ShareableList, name=name), ())";
        if (value is not PyReduce { Kind: PyReduceKind.Reduce, Callable: PyReduce partial } outer || outer.Args.Count != 0)
        {
            throw PickledShapes.Unexpected(Expected, value);
        }

        // _rebuild_partial(func, args, keywords), or partial(func) with BUILD state (func, args, keywords, dict).
        PyTuple? parts = partial.Callable switch
        {
            _ when PickledShapes.Is(partial.Callable, "reduction", "_rebuild_partial") => partial.Args,
            PyGlobal g when g.Is("functools", "partial") => partial.State as PyTuple,
            _ => null,
        };
        if (parts is not { Count: >= 3 } || !PickledShapes.Is(parts[0], "shared_memory", "ShareableList")
            || parts[2] is not PyDict keywords || !keywords.TryGetValue("name", out var name) || name is not string segment)
        {
            throw PickledShapes.Unexpected(Expected, value);
        }

        return Attach(segment, layout, track);
    }
}
