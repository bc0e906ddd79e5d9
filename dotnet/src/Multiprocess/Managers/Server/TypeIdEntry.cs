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
    private ExposedNames? _fixed314;

    /// <summary>Gets the exposed names CPython 3.14 registers, when they differ from <see cref="Exposed"/> (3.8–3.13's).</summary>
    public IReadOnlyList<string>? Exposed314 { get; init; }

    /// <summary>Gets the first dialect that has this type id (<c>set</c> is new in 3.14: older clients get KeyError).</summary>
    public ManagerDialect Since { get; init; } = ManagerDialect.Python38;

    /// <summary>
    /// The exposed names of every object of this type id when they do not depend on the object (<see cref="Exposed"/>
    /// given), built once: <c>exposed + list(method_to_typeid)</c> as <c>create</c> returns it, and the set calls check.
    /// </summary>
    public ExposedNames? FixedExposed => Exposed is null ? null : _fixed ??= ExposedNames.Build(Exposed, MethodToTypeid);

    /// <summary>The fixed exposed names a client of <paramref name="dialect"/> sees.</summary>
    public ExposedNames? FixedExposedFor(ManagerDialect dialect) =>
        dialect >= ManagerDialect.Python314 && Exposed314 is not null
            ? _fixed314 ??= ExposedNames.Build(Exposed314, MethodToTypeid)
            : FixedExposed;
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
