using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// A registry entry, CPython's <c>(callable, exposed, method_to_typeid, proxytype)</c> without the proxy type (that
/// lives in the client): how to make the object, which method names clients may call, and which methods return
/// new shared objects (of which type id) instead of values.
/// </summary>
/// <param name="TypeId">The type id.</param>
/// <param name="Factory">Makes the object from <c>create</c>'s arguments; null for type ids only produced by methods (<c>Iterator</c>).</param>
/// <param name="Exposed">The callable names; null means the object's <see cref="ISharedObject.PublicMethods"/> (AutoProxy).</param>
/// <param name="MethodToTypeid">Methods whose results become proxies, e.g. <c>{'__iter__': 'Iterator'}</c>.</param>
internal sealed record TypeIdEntry(
    string TypeId,
    Func<PyTuple, PyDict, SharedCallContext?, object?>? Factory,
    IReadOnlyList<string>? Exposed,
    IReadOnlyDictionary<string, string>? MethodToTypeid)
{
    private ExposedNames? _fixed;

    /// <summary>
    /// The exposed names of every object of this type id when they do not depend on the object (<see cref="Exposed"/>
    /// given), built once: <c>exposed + list(method_to_typeid)</c> as <c>create</c> returns it, and the set calls check.
    /// </summary>
    public ExposedNames? FixedExposed => Exposed is null ? null : _fixed ??= ExposedNames.Build(Exposed, MethodToTypeid);
}

/// <summary>A type id's exposed names: the tuple <c>create</c> returns (duplicates kept) and the set method calls check.</summary>
/// <param name="Set">The names clients may call.</param>
/// <param name="Tuple">What <c>create</c> returns.</param>
internal sealed record ExposedNames(HashSet<string> Set, PyTuple Tuple)
{
    public static ExposedNames Build(IEnumerable<string> exposed, IReadOnlyDictionary<string, string>? methodToTypeid)
    {
        var names = new List<string>(exposed);
        if (methodToTypeid is not null)
        {
            names.AddRange(methodToTypeid.Keys);
        }

        return new ExposedNames([.. names], new PyTuple([.. names]));
    }
}
