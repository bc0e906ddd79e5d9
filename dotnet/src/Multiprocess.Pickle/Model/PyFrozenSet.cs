namespace Multiprocess.Pickle;

/// <summary>A Python <c>frozenset</c>: immutable and hashable (usable as a dict key or set item).</summary>
public sealed class PyFrozenSet : PySetBase
{
    private int _hash;

    /// <summary>Initializes a new instance of the <see cref="PyFrozenSet"/> class with the given items.</summary>
    /// <param name="items">The items; duplicates (in Python's sense) are kept once.</param>
    /// <exception cref="ArgumentException">An item is unhashable in Python.</exception>
    public PyFrozenSet(IEnumerable<object?> items)
        : base(items is ICollection<object?> c ? c.Count : 0)
    {
        foreach (var item in items)
        {
            AddItem(item);
        }
    }

    /// <summary>Initializes a new instance of the <see cref="PyFrozenSet"/> class with the given items.</summary>
    /// <param name="items">The items.</param>
    /// <exception cref="ArgumentException">An item is unhashable in Python.</exception>
    public PyFrozenSet(params object?[] items)
        : this((IEnumerable<object?>)items)
    {
    }

    private PyFrozenSet(int capacity)
        : base(capacity)
    {
    }

    /// <summary>Gets the empty frozenset.</summary>
    public static PyFrozenSet Empty { get; } = new(0);

    /// <summary>Returns an order-independent hash consistent with Python equality.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = 0x345678 ^ Count;
            foreach (var item in this)
            {
                // Mix each item hash before the commutative sum, as CPython's frozenset_hash does.
                var x = (uint)PyObjectComparer.HashKey(item);
                h += (int)((x ^ 89869747u ^ (x << 16)) * 3644798167u);
            }

            _hash = h == 0 ? 1 : h;
        }

        return _hash;
    }

    /// <summary>Builds a frozenset that the unpickler fills, before anyone sees it.</summary>
    internal static PyFrozenSet CreateForLoad(int capacity) => new(capacity);

    /// <summary>Adds an item while the unpickler builds the set.</summary>
    internal void AddForLoad(object? item) => AddItem(item);
}
