using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// A Python <c>dict</c>: insertion-ordered (also after deletions, as CPython), None (null) allowed as a key, and keys
/// compared with Python semantics (<see cref="PyObjectComparer.Python"/>): <c>1</c>, <c>1.0</c> and <c>True</c> are
/// one key, tuples and bytes compare by content, lists and dicts are unhashable.
/// </summary>
/// <example><code>var d = new PyDict { ["a"] = 1L, [PyTuple.Create(1L, 2L)] = "pair" };</code></example>
public sealed class PyDict : IDictionary<object?, object?>, IReadOnlyDictionary<object?, object?>
{
    // Empty dicts are common (every manager request's kwargs is {}): they share one table, never written, until their
    // first insert gives them their own (Writable), which spares the allocation of a table per empty dict.
    private static readonly PyHashTable s_emptyTable = new(0);

    private PyHashTable _table;

    /// <summary>Initializes a new, empty instance of the <see cref="PyDict"/> class.</summary>
    public PyDict()
        : this(0)
    {
    }

    /// <summary>Initializes a new, empty instance of the <see cref="PyDict"/> class with room for <paramref name="capacity"/> items.</summary>
    /// <param name="capacity">The expected number of items.</param>
    public PyDict(int capacity) => _table = capacity <= 0 ? s_emptyTable : new PyHashTable(capacity);

    /// <summary>Gets the number of items.</summary>
    public int Count => _table.Count;

    /// <summary>Gets the keys in insertion order.</summary>
    public ICollection<object?> Keys => new KeyCollection(this);

    /// <summary>Gets the values in insertion order.</summary>
    public ICollection<object?> Values => new ValueCollection(this);

    bool ICollection<KeyValuePair<object?, object?>>.IsReadOnly => false;

    IEnumerable<object?> IReadOnlyDictionary<object?, object?>.Keys => Keys;

    IEnumerable<object?> IReadOnlyDictionary<object?, object?>.Values => Values;

    /// <summary>Gets or sets the value for <paramref name="key"/> (<c>d[key]</c>).</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="KeyNotFoundException">Getting a key that is not present (Python's KeyError).</exception>
    /// <exception cref="ArgumentException">The key is unhashable in Python.</exception>
    public object? this[object? key]
    {
        get
        {
            var i = _table.Find(key);
            if (i < 0)
            {
                throw new KeyNotFoundException($"Key {PyRepr.Repr(key)} is not in the dict");
            }

            return _table.EntryAt(i).Value;
        }

        set => Writable.Set(key, value, overwrite: true);
    }

    /// <summary>Adds an item.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException">The key is already present, or unhashable.</exception>
    public void Add(object? key, object? value)
    {
        if (!Writable.Set(key, value, overwrite: false))
        {
            throw new ArgumentException($"Key {PyRepr.Repr(key)} is already in the dict", nameof(key));
        }
    }

    /// <summary>Adds an item unless the key is present (<c>dict.setdefault</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>Whether it was added.</returns>
    public bool TryAdd(object? key, object? value) => Writable.Set(key, value, overwrite: false);

    /// <summary>Returns whether <paramref name="key"/> is present.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when present.</returns>
    public bool ContainsKey(object? key) => _table.Find(key) >= 0;

    /// <summary>Looks up <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, or null.</param>
    /// <returns>Whether the key was present.</returns>
    public bool TryGetValue(object? key, out object? value)
    {
        var i = _table.Find(key);
        if (i < 0)
        {
            value = null;
            return false;
        }

        value = _table.EntryAt(i).Value;
        return true;
    }

    /// <summary>Returns the value for <paramref name="key"/>, or <paramref name="defaultValue"/> (<c>dict.get</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value returned when the key is missing.</param>
    /// <returns>The value.</returns>
    public object? Get(object? key, object? defaultValue = null) => TryGetValue(key, out var v) ? v : defaultValue;

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it was present.</returns>
    public bool Remove(object? key) => _table.Remove(key, out _);

    /// <summary>Removes <paramref name="key"/> and returns its value (<c>dict.pop</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The removed value.</param>
    /// <returns>Whether it was present.</returns>
    public bool Remove(object? key, out object? value) => _table.Remove(key, out value);

    /// <summary>Removes every item.</summary>
    public void Clear()
    {
        if (!ReferenceEquals(_table, s_emptyTable))
        {
            _table.Clear();
        }
    }

    /// <summary>Returns a struct enumerator over the items in insertion order.</summary>
    /// <returns>The enumerator.</returns>
    public Enumerator GetEnumerator() => new(Writable); // its own table, so a later insert still fails the enumeration

    IEnumerator<KeyValuePair<object?, object?>> IEnumerable<KeyValuePair<object?, object?>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<object?, object?>>.Add(KeyValuePair<object?, object?> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<object?, object?>>.Contains(KeyValuePair<object?, object?> item) =>
        TryGetValue(item.Key, out var v) && PyObjectComparer.Python.Equals(v, item.Value);

    void ICollection<KeyValuePair<object?, object?>>.CopyTo(KeyValuePair<object?, object?>[] array, int arrayIndex)
    {
        foreach (var kv in this)
        {
            array[arrayIndex++] = kv;
        }
    }

    bool ICollection<KeyValuePair<object?, object?>>.Remove(KeyValuePair<object?, object?> item) =>
        ((ICollection<KeyValuePair<object?, object?>>)this).Contains(item) && Remove(item.Key);

    bool IReadOnlyDictionary<object?, object?>.TryGetValue(object? key, [MaybeNullWhen(false)] out object? value) =>
        TryGetValue(key, out value);

    /// <summary>Compares with Python semantics (same keys, equal values, order ignored).</summary>
    /// <param name="obj">The other value.</param>
    /// <returns>Whether equal.</returns>
    public override bool Equals(object? obj) => obj is PyDict && PyObjectComparer.Python.Equals(this, obj);

    /// <summary>Returns an identity hash: dicts are unhashable in Python and are never keys.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>Returns Python's repr, e.g. <c>{'a': 1}</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);

    /// <summary>Makes room for more items before a batch (SETITEMS).</summary>
    internal void EnsureCapacity(int additional) => Writable.EnsureCapacity(additional);

    /// <summary>Adds a key the unpickler has already hashed; overwrites like <c>d[k] = v</c>.</summary>
    internal void SetItem(object? key, object? value) => Writable.Set(key, value, overwrite: true);

    /// <summary>Gets the table to write: this dict's own (made at its first insert, if it had the shared empty one).</summary>
    private PyHashTable Writable => ReferenceEquals(_table, s_emptyTable) ? _table = new PyHashTable(0) : _table;

    /// <summary>A struct enumerator over a dict's items in insertion order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<object?, object?>>
    {
        private PyHashTable.Cursor _cursor;

        internal Enumerator(PyHashTable table) => _cursor = new PyHashTable.Cursor(table);

        /// <summary>Gets the current item.</summary>
        public readonly KeyValuePair<object?, object?> Current
        {
            get
            {
                ref var e = ref _cursor.Current;
                return new(e.Key, e.Value);
            }
        }

        readonly object IEnumerator.Current => Current;

        /// <summary>Advances to the next item.</summary>
        /// <returns>False at the end.</returns>
        /// <exception cref="InvalidOperationException">The dict changed during iteration.</exception>
        public bool MoveNext() => _cursor.MoveNext();

        /// <summary>Restarts the enumeration.</summary>
        public void Reset() => _cursor.Reset();

        /// <summary>Does nothing.</summary>
        public readonly void Dispose()
        {
        }
    }

    private sealed class KeyCollection(PyDict dict) : ICollection<object?>
    {
        public int Count => dict.Count;

        public bool IsReadOnly => true;

        public void Add(object? item) => throw new NotSupportedException("The keys view is read-only");

        public void Clear() => throw new NotSupportedException("The keys view is read-only");

        public bool Contains(object? item) => dict.ContainsKey(item);

        public void CopyTo(object?[] array, int arrayIndex)
        {
            foreach (var kv in dict)
            {
                array[arrayIndex++] = kv.Key;
            }
        }

        public bool Remove(object? item) => throw new NotSupportedException("The keys view is read-only");

        public IEnumerator<object?> GetEnumerator()
        {
            foreach (var kv in dict)
            {
                yield return kv.Key;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ValueCollection(PyDict dict) : ICollection<object?>
    {
        public int Count => dict.Count;

        public bool IsReadOnly => true;

        public void Add(object? item) => throw new NotSupportedException("The values view is read-only");

        public void Clear() => throw new NotSupportedException("The values view is read-only");

        public bool Contains(object? item)
        {
            foreach (var kv in dict)
            {
                if (PyObjectComparer.Python.Equals(kv.Value, item))
                {
                    return true;
                }
            }

            return false;
        }

        public void CopyTo(object?[] array, int arrayIndex)
        {
            foreach (var kv in dict)
            {
                array[arrayIndex++] = kv.Value;
            }
        }

        public bool Remove(object? item) => throw new NotSupportedException("The values view is read-only");

        public IEnumerator<object?> GetEnumerator()
        {
            foreach (var kv in dict)
            {
                yield return kv.Value;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
