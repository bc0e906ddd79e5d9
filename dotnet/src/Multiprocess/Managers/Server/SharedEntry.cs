using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>One <c>id_to_obj</c> value: the object, its exposed set and its method_to_typeid.</summary>
internal sealed class SharedEntry(string ident, string typeId, object original, ISharedObject obj, HashSet<string> exposed, IReadOnlyDictionary<string, string>? methodToTypeid)
{
    public string Ident { get; } = ident;

    public string TypeId { get; } = typeId;

    /// <summary>Gets what the factory or method returned (the identity that gives the ident).</summary>
    public object Original { get; } = original;

    public ISharedObject Object { get; } = obj;

    public HashSet<string> Exposed { get; } = exposed;

    public IReadOnlyDictionary<string, string>? MethodToTypeid { get; } = methodToTypeid;

    /// <summary>What <c>get_methods</c> returns: <c>tuple(exposed_set)</c>.</summary>
    public PyTuple ExposedTuple() => new([.. Exposed.Order(StringComparer.Ordinal)]);
}
