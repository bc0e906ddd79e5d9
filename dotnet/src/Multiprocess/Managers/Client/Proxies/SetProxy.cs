using System.Collections;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>set</c> in the manager (CPython 3.14's <c>SetProxy</c>, type id <c>set</c>), usable as an
/// <see cref="ICollection{T}"/>. Items are Python values compared as Python compares them, in the manager. Every
/// member is one call; enumerating takes one copy (<c>#GETVALUE</c>). The operators of Python's proxy
/// (<c>s | other</c>, <c>s &amp;= other</c>, …) are the named methods here; results that are new sets come back as
/// <see cref="PySet"/> values, not shared.
/// </summary>
/// <example><code>
/// using var s = manager.Set(["a", "b"]);
/// s.Add("c");
/// s.Update(["d", "e"]);
/// bool sub = s.IsSubset(["a", "b", "c", "d", "e", "f"]);
/// PySet both = s.Intersection(["a", "z"]);
/// </code></example>
public sealed class SetProxy : BaseProxy, ICollection<object?>
{
    /// <summary>Initializes a new instance of the <see cref="SetProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public SetProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets the number of items (<c>len(s)</c>).</summary>
    public int Count => checked((int)(long)CallMethod("__len__")!);

    /// <summary>Gets a value indicating whether the set is read-only: false.</summary>
    public bool IsReadOnly => false;

    /// <inheritdoc/>
    protected override string PythonProxyClass => "SetProxy";

    /// <summary>Adds an item (<c>add</c>).</summary>
    /// <param name="item">The item (hashable in Python).</param>
    /// <exception cref="ArgumentException">The item is unhashable (TypeError).</exception>
    public void Add(object? item) => CallMethod("add", PyTuple.Create(item));

    /// <summary>Returns whether the item is in the set (<c>item in s</c>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>True when present.</returns>
    public bool Contains(object? item) => (bool)CallMethod("__contains__", PyTuple.Create(item))!;

    /// <summary>Removes an item (<c>remove</c>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when it was absent (KeyError).</returns>
    public bool Remove(object? item) => CallUnlessKeyError("remove", PyTuple.Create(item));

    /// <summary>Removes an item if present (<c>discard</c>).</summary>
    /// <param name="item">The item.</param>
    public void Discard(object? item) => CallMethod("discard", PyTuple.Create(item));

    /// <summary>Removes and returns an arbitrary item (<c>pop</c>).</summary>
    /// <returns>The item.</returns>
    /// <exception cref="KeyNotFoundException">The set is empty (KeyError: 'pop from an empty set').</exception>
    public object? Pop() => CallMethod("pop");

    /// <summary>Removes every item (<c>clear</c>).</summary>
    public void Clear() => CallMethod("clear");

    /// <summary>Adds the items of every iterable (<c>update(*others)</c>, also <c>s |= other</c>).</summary>
    /// <param name="others">The iterables.</param>
    public void Update(params IEnumerable<object?>[] others) => CallMethod("update", Lists(others));

    /// <summary>Keeps only the items also in every iterable (<c>intersection_update</c>, <c>s &amp;= other</c>).</summary>
    /// <param name="others">The iterables.</param>
    public void IntersectionUpdate(params IEnumerable<object?>[] others) => CallMethod("intersection_update", Lists(others));

    /// <summary>Removes the items found in any iterable (<c>difference_update</c>, <c>s -= other</c>).</summary>
    /// <param name="others">The iterables.</param>
    public void DifferenceUpdate(params IEnumerable<object?>[] others) => CallMethod("difference_update", Lists(others));

    /// <summary>Keeps the items in exactly one of the set and <paramref name="other"/> (<c>symmetric_difference_update</c>, <c>s ^= other</c>).</summary>
    /// <param name="other">The iterable.</param>
    public void SymmetricDifferenceUpdate(IEnumerable<object?> other) => CallMethod("symmetric_difference_update", Lists([other]));

    /// <summary>Returns the union with every iterable as a new set (<c>union</c>, <c>s | other</c>).</summary>
    /// <param name="others">The iterables.</param>
    /// <returns>The items (a copy, not shared).</returns>
    public PySet Union(params IEnumerable<object?>[] others) => AsSet(CallMethod("union", Lists(others)));

    /// <summary>Returns the items also in every iterable (<c>intersection</c>, <c>s &amp; other</c>).</summary>
    /// <param name="others">The iterables.</param>
    /// <returns>The items (a copy).</returns>
    public PySet Intersection(params IEnumerable<object?>[] others) => AsSet(CallMethod("intersection", Lists(others)));

    /// <summary>Returns the items in no iterable (<c>difference</c>, <c>s - other</c>).</summary>
    /// <param name="others">The iterables.</param>
    /// <returns>The items (a copy).</returns>
    public PySet Difference(params IEnumerable<object?>[] others) => AsSet(CallMethod("difference", Lists(others)));

    /// <summary>Returns the items in exactly one of the set and <paramref name="other"/> (<c>symmetric_difference</c>, <c>s ^ other</c>).</summary>
    /// <param name="other">The iterable.</param>
    /// <returns>The items (a copy).</returns>
    public PySet SymmetricDifference(IEnumerable<object?> other) => AsSet(CallMethod("symmetric_difference", Lists([other])));

    /// <summary>Returns whether every item is in <paramref name="other"/> (<c>issubset</c>, <c>s &lt;= other</c>).</summary>
    /// <param name="other">The iterable.</param>
    /// <returns>True when a subset.</returns>
    public bool IsSubset(IEnumerable<object?> other) => (bool)CallMethod("issubset", Lists([other]))!;

    /// <summary>Returns whether every item of <paramref name="other"/> is in the set (<c>issuperset</c>, <c>s &gt;= other</c>).</summary>
    /// <param name="other">The iterable.</param>
    /// <returns>True when a superset.</returns>
    public bool IsSuperset(IEnumerable<object?> other) => (bool)CallMethod("issuperset", Lists([other]))!;

    /// <summary>Returns whether the set and <paramref name="other"/> share no item (<c>isdisjoint</c>).</summary>
    /// <param name="other">The iterable.</param>
    /// <returns>True when disjoint.</returns>
    public bool IsDisjoint(IEnumerable<object?> other) => (bool)CallMethod("isdisjoint", Lists([other]))!;

    /// <summary>Returns a copy of the set (<c>copy</c>).</summary>
    /// <returns>The items (not shared).</returns>
    public PySet Copy() => AsSet(CallMethod("copy"));

    /// <summary>Returns a copy of the set (<c>#GETVALUE</c>).</summary>
    /// <returns>The items.</returns>
    public PySet ToSet() => AsSet(GetValue());

    /// <inheritdoc/>
    public void CopyTo(object?[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        ((ICollection<object?>)ToSet()).CopyTo(array, arrayIndex);
    }

    /// <summary>Enumerates a copy of the set taken now (one call).</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)ToSet()).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Each iterable as the list Python receives (any iterable is accepted by set methods).</summary>
    private static PyTuple Lists(IEnumerable<object?>[] others)
    {
        ArgumentNullException.ThrowIfNull(others);
        var items = new object?[others.Length];
        for (var i = 0; i < others.Length; i++)
        {
            items[i] = others[i] is PySetBase set ? set : PyArguments.List(others[i]);
        }

        return new PyTuple(items);
    }

    private PySet AsSet(object? value) => value switch
    {
        PySet s => s,
        _ => throw new ProcessException($"The manager returned {PyRepr.TypeName(value)} where a set was expected, from {Token.TypeId} '{Token.Id}'"),
    };
}
