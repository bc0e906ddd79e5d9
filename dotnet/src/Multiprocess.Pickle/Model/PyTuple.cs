using System.Collections;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <summary>
/// A Python <c>tuple</c>: an immutable sequence, distinct from a list (<see cref="List{T}"/> of object). Equality and
/// hashing follow Python (element-wise <see cref="PyObjectComparer.Python"/>), so tuples work as <see cref="PyDict"/>
/// keys.
/// </summary>
/// <example><code>var request = PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict());</code></example>
[CollectionBuilder(typeof(PyTuple), nameof(Create))]
public sealed class PyTuple : IReadOnlyList<object?>, IEquatable<PyTuple>
{
    private readonly object?[] _items;
    private int _hash;

    /// <summary>Initializes a new instance of the <see cref="PyTuple"/> class over <paramref name="items"/> (not copied).</summary>
    /// <param name="items">The elements; the array becomes the tuple's storage and must not be changed afterwards.</param>
    /// <exception cref="ArgumentNullException"><paramref name="items"/> is null.</exception>
    public PyTuple(params object?[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items;
    }

    /// <summary>Gets the empty tuple <c>()</c>.</summary>
    public static PyTuple Empty { get; } = new([]);

    /// <summary>Gets the number of elements.</summary>
    public int Count => _items.Length;

    /// <summary>Gets the element at <paramref name="index"/>.</summary>
    /// <param name="index">A zero-based index.</param>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the tuple.</exception>
    public object? this[int index] => _items[index];

    /// <summary>Creates a tuple from a span of elements (copied).</summary>
    /// <param name="items">The elements.</param>
    /// <returns>The tuple; <see cref="Empty"/> when there are none.</returns>
    public static PyTuple Create(ReadOnlySpan<object?> items) => items.IsEmpty ? Empty : new PyTuple(items.ToArray());

    /// <summary>Creates a 1-tuple <c>(item,)</c>.</summary>
    /// <param name="item">The element.</param>
    /// <returns>The tuple.</returns>
    public static PyTuple Create(object? item) => new([item]);

    /// <summary>Creates a 2-tuple.</summary>
    /// <param name="item1">The first element.</param>
    /// <param name="item2">The second element.</param>
    /// <returns>The tuple.</returns>
    public static PyTuple Create(object? item1, object? item2) => new([item1, item2]);

    /// <summary>Creates a 3-tuple.</summary>
    /// <param name="item1">The first element.</param>
    /// <param name="item2">The second element.</param>
    /// <param name="item3">The third element.</param>
    /// <returns>The tuple.</returns>
    public static PyTuple Create(object? item1, object? item2, object? item3) => new([item1, item2, item3]);

    /// <summary>Creates a 4-tuple.</summary>
    /// <param name="item1">The first element.</param>
    /// <param name="item2">The second element.</param>
    /// <param name="item3">The third element.</param>
    /// <param name="item4">The fourth element.</param>
    /// <returns>The tuple.</returns>
    public static PyTuple Create(object? item1, object? item2, object? item3, object? item4) => new([item1, item2, item3, item4]);

    /// <summary>Returns the elements as a read-only span (no copy).</summary>
    /// <returns>The span.</returns>
    public ReadOnlySpan<object?> AsSpan() => _items;

    /// <summary>Copies the elements to a new array.</summary>
    /// <returns>The array.</returns>
    public object?[] ToArray() => (object?[])_items.Clone();

    /// <summary>Gets the element at <paramref name="index"/> converted to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The expected type.</typeparam>
    /// <param name="index">A zero-based index.</param>
    /// <returns>The element.</returns>
    /// <exception cref="InvalidCastException">The element is not a <typeparamref name="T"/>.</exception>
    public T Get<T>(int index) => (T)_items[index]!;

    /// <summary>Returns a struct enumerator over the elements.</summary>
    /// <returns>The enumerator.</returns>
    public ReadOnlySpan<object?>.Enumerator GetEnumerator() => new ReadOnlySpan<object?>(_items).GetEnumerator();

    IEnumerator<object?> IEnumerable<object?>.GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    /// <summary>Compares element-wise with Python semantics.</summary>
    /// <param name="other">The other tuple.</param>
    /// <returns>Whether equal.</returns>
    public bool Equals(PyTuple? other) => PyObjectComparer.Python.Equals(this, other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PyTuple t && Equals(t);

    /// <summary>Returns a hash consistent with Python equality of the elements.</summary>
    /// <returns>The hash.</returns>
    /// <exception cref="ArgumentException">An element is unhashable (a list, dict, set or bytearray).</exception>
    public override int GetHashCode()
    {
        if (_hash != 0)
        {
            return _hash;
        }

        var h = new HashCode();
        h.Add(_items.Length);
        foreach (var item in _items)
        {
            h.Add(PyObjectComparer.HashKey(item));
        }

        var result = h.ToHashCode();
        _hash = result == 0 ? 1 : result;
        return _hash;
    }

    /// <summary>Returns Python's repr, e.g. <c>(1, 'a')</c> or <c>(1,)</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);

    /// <summary>Gives the unpickler the backing array, for the rare in-place fix-ups it needs.</summary>
    internal object?[] Items => _items;

    /// <summary>Drops the cached hash: <see cref="RequestUnpickler"/> refills its reused args tuples in place.</summary>
    internal void ForgetHash() => _hash = 0;
}
