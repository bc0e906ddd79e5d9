namespace Multiprocess.Pickle;

/// <summary>A Python <c>set</c>: mutable, unhashable, items compared with Python semantics.</summary>
/// <example><code>var s = new PySet { 1L, "a", PyTuple.Create(1L, 2L) };</code></example>
public sealed class PySet : PySetBase, ISet<object?>
{
    /// <summary>Initializes a new, empty instance of the <see cref="PySet"/> class.</summary>
    public PySet()
        : base(0)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PySet"/> class with the given items.</summary>
    /// <param name="items">The items; duplicates (in Python's sense) are kept once.</param>
    /// <exception cref="ArgumentException">An item is unhashable in Python.</exception>
    public PySet(IEnumerable<object?> items)
        : base(items is ICollection<object?> c ? c.Count : 0)
    {
        foreach (var item in items)
        {
            Add(item);
        }
    }

    bool ICollection<object?>.IsReadOnly => false;

    /// <summary>Adds <paramref name="item"/>.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether it was new.</returns>
    /// <exception cref="ArgumentException">The item is unhashable in Python.</exception>
    public bool Add(object? item) => AddItem(item);

    void ICollection<object?>.Add(object? item) => Add(item);

    /// <summary>Removes <paramref name="item"/> (<c>set.discard</c>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether it was present.</returns>
    public bool Remove(object? item) => Table.Remove(item, out _);

    /// <summary>Removes every item.</summary>
    public void Clear() => Table.Clear();

    /// <inheritdoc/>
    public void CopyTo(object?[] array, int arrayIndex)
    {
        foreach (var item in this)
        {
            array[arrayIndex++] = item;
        }
    }

    /// <inheritdoc/>
    public void ExceptWith(IEnumerable<object?> other)
    {
        foreach (var item in other)
        {
            Remove(item);
        }
    }

    /// <inheritdoc/>
    public void IntersectWith(IEnumerable<object?> other)
    {
        var keep = new PySet(other);
        foreach (var item in this.ToList())
        {
            if (!keep.Contains(item))
            {
                Remove(item);
            }
        }
    }

    /// <inheritdoc/>
    public void SymmetricExceptWith(IEnumerable<object?> other)
    {
        foreach (var item in new PySet(other))
        {
            if (!Remove(item))
            {
                Add(item);
            }
        }
    }

    /// <inheritdoc/>
    public void UnionWith(IEnumerable<object?> other)
    {
        foreach (var item in other)
        {
            Add(item);
        }
    }
}
