using Multiprocess.Pickle;

namespace Multiprocess.Managers;

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
    IReadOnlyDictionary<string, string>? MethodToTypeid);
