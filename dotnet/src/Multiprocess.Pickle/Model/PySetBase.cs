using System.Collections;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// What <see cref="PySet"/> (Python's <c>set</c>) and <see cref="PyFrozenSet"/> (<c>frozenset</c>) share: Python
/// key semantics (<see cref="PyObjectComparer.Python"/>) and a stable iteration order (the order items were added,
/// which for a value read from a pickle is the order CPython iterated the set in).
/// </summary>
public abstract class PySetBase : IReadOnlySet<object?>
{
    private protected PySetBase(int capacity) => Table = new PyHashTable(capacity);

    /// <summary>Gets the number of items.</summary>
    public int Count => Table.Count;

    private protected PyHashTable Table { get; }

    /// <summary>Returns whether <paramref name="item"/> is in the set.</summary>
    /// <param name="item">The item.</param>
    /// <returns>True when present.</returns>
    /// <exception cref="ArgumentException">The item is unhashable in Python.</exception>
    public bool Contains(object? item) => Table.Find(item) >= 0;

    /// <summary>Returns a struct enumerator over the items.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(Table);

    IEnumerator<object?> IEnumerable<object?>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool IsProperSubsetOf(IEnumerable<object?> other)
    {
        var o = AsSet(other);
        return Count < o.Count && IsSubsetOf(o);
    }

    /// <inheritdoc/>
    public bool IsProperSupersetOf(IEnumerable<object?> other)
    {
        var o = AsSet(other);
        return Count > o.Count && IsSupersetOf(o);
    }

    /// <inheritdoc/>
    public bool IsSubsetOf(IEnumerable<object?> other)
    {
        var o = AsSet(other);
        foreach (var item in this)
        {
            if (!o.Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool IsSupersetOf(IEnumerable<object?> other)
    {
        foreach (var item in other)
        {
            if (!Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public bool Overlaps(IEnumerable<object?> other)
    {
        foreach (var item in other)
        {
            if (Contains(item))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public bool SetEquals(IEnumerable<object?> other)
    {
        var o = AsSet(other);
        return o.Count == Count && IsSubsetOf(o);
    }

    /// <summary>Compares as Python does: a set equals a frozenset with the same items.</summary>
    /// <param name="obj">The other value.</param>
    /// <returns>Whether equal.</returns>
    public override bool Equals(object? obj) => obj is PySetBase && PyObjectComparer.Python.Equals(this, obj);

    /// <summary>Returns a hash; see the derived types.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>Returns Python's repr, e.g. <c>{1, 2}</c>, <c>set()</c> or <c>frozenset({1})</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);

    private protected bool AddItem(object? item) => Table.Set(item, null, overwrite: false);

    private static PySetBase AsSet(IEnumerable<object?> other)
    {
        if (other is PySetBase s)
        {
            return s;
        }

        var set = new PySet();
        foreach (var item in other)
        {
            set.Add(item);
        }

        return set;
    }

    /// <summary>A struct enumerator over a set's items.</summary>
    public struct Enumerator : IEnumerator<object?>
    {
        private PyHashTable.Cursor _cursor;

        internal Enumerator(PyHashTable table) => _cursor = new PyHashTable.Cursor(table);

        /// <summary>Gets the current item.</summary>
        public readonly object? Current => _cursor.Current.Key;

        readonly object? IEnumerator.Current => Current;

        /// <summary>Advances to the next item.</summary>
        /// <returns>False at the end.</returns>
        /// <exception cref="InvalidOperationException">The set changed during iteration.</exception>
        public bool MoveNext() => _cursor.MoveNext();

        /// <summary>Restarts the enumeration.</summary>
        public void Reset() => _cursor.Reset();

        /// <summary>Does nothing.</summary>
        public readonly void Dispose()
        {
        }
    }
}
