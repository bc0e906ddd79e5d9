using System.Numerics;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle.Internal;

/// <summary>
/// The storage behind <see cref="PyDict"/> and the set types: CPython's compact dict layout (entries in insertion
/// order, a separate bucket index), so iteration order is insertion order even after deletions, and None (null)
/// is a valid key. Keys are compared with <see cref="PyObjectComparer.Python"/>.
/// </summary>
internal sealed class PyHashTable
{
    private static readonly object s_deleted = new();

    private int[] _buckets;   // 1-based index into _entries; 0 = empty
    private Entry[] _entries;
    private int _count;       // entries used, including deleted ones
    private int _deletedCount;
    private int _version;

    public PyHashTable(int capacity)
    {
        if (capacity <= 0)
        {
            // Empty dicts are common (kwargs, fresh containers): no arrays until the first insert.
            _entries = [];
            _buckets = s_noBuckets;
            return;
        }

        var size = capacity <= 4 ? 4 : (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        _entries = new Entry[size];
        _buckets = new int[size];
    }

    private static readonly int[] s_noBuckets = [0];

    public int Count => _count - _deletedCount;

    public int Version => _version;

    /// <summary>Gets the raw entry range; callers skip deleted slots with <see cref="IsLive"/>.</summary>
    public int RawCount => _count;

    public bool IsLive(int index) => !ReferenceEquals(_entries[index].Key, s_deleted);

    public ref Entry EntryAt(int index) => ref _entries[index];

    public int Find(object? key)
    {
        var hash = PyObjectComparer.HashKey(key);
        return Find(key, hash);
    }

    public int Find(object? key, int hash)
    {
        var entries = _entries;
        var i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var e = ref entries[i];
            if (e.Hash == hash && (ReferenceEquals(e.Key, key) || PyObjectComparer.KeyEquals(e.Key, key)))
            {
                return i;
            }

            i = e.Next;
        }

        return -1;
    }

    /// <summary>Inserts or overwrites; returns true when the key was new.</summary>
    public bool Set(object? key, object? value, bool overwrite)
    {
        var hash = PyObjectComparer.HashKey(key);
        var found = Find(key, hash);
        if (found >= 0)
        {
            if (!overwrite)
            {
                return false;
            }

            // Python keeps the original key object and only replaces the value.
            _entries[found].Value = value;
            _version++;
            return false;
        }

        AddNew(key, value, hash);
        return true;
    }

    /// <summary>Appends a key known not to be present (used when the caller already looked it up).</summary>
    public void AddNew(object? key, object? value, int hash)
    {
        if (_count == _entries.Length)
        {
            Grow();
        }

        var index = _count++;
        ref var e = ref _entries[index];
        e.Hash = hash;
        e.Key = key;
        e.Value = value;
        ref var bucket = ref _buckets[hash & (_buckets.Length - 1)];
        e.Next = bucket - 1;
        bucket = index + 1;
        _version++;
    }

    public bool Remove(object? key, out object? value)
    {
        var hash = PyObjectComparer.HashKey(key);
        ref var bucket = ref _buckets[hash & (_buckets.Length - 1)];
        var prev = -1;
        var i = bucket - 1;
        while (i >= 0)
        {
            ref var e = ref _entries[i];
            if (e.Hash == hash && (ReferenceEquals(e.Key, key) || PyObjectComparer.KeyEquals(e.Key, key)))
            {
                if (prev < 0)
                {
                    bucket = e.Next + 1;
                }
                else
                {
                    _entries[prev].Next = e.Next;
                }

                value = e.Value;
                e.Key = s_deleted;
                e.Value = null;
                e.Next = -1;
                _deletedCount++;
                _version++;
                if (_deletedCount > 16 && _deletedCount > _count / 2)
                {
                    Rebuild(_entries.Length);
                }

                return true;
            }

            prev = i;
            i = e.Next;
        }

        value = null;
        return false;
    }

    /// <summary>Makes room for <paramref name="additional"/> more entries in one step (SETITEMS knows its batch size).</summary>
    public void EnsureCapacity(int additional)
    {
        var needed = _count + additional;
        if (needed > _entries.Length)
        {
            Rebuild((int)BitOperations.RoundUpToPowerOf2((uint)needed));
        }
    }

    public void Clear()
    {
        Array.Clear(_entries, 0, _count);
        Array.Clear(_buckets);
        _count = 0;
        _deletedCount = 0;
        _version++;
    }

    private void Grow()
    {
        // Deleted slots are squeezed out first; only grow when live entries fill at least half.
        var size = _entries.Length == 0 ? 4 : Count * 2 >= _entries.Length ? _entries.Length * 2 : _entries.Length;
        if (size > Array.MaxLength)
        {
            throw new InvalidOperationException("Python dict or set grew beyond the maximum array length");
        }

        Rebuild(size);
    }

    private void Rebuild(int size)
    {
        var old = _entries;
        var oldCount = _count;
        _entries = new Entry[size];
        _buckets = new int[size];
        _count = 0;
        _deletedCount = 0;
        for (var i = 0; i < oldCount; i++)
        {
            ref var e = ref old[i];
            if (!ReferenceEquals(e.Key, s_deleted))
            {
                var index = _count++;
                ref var n = ref _entries[index];
                n.Hash = e.Hash;
                n.Key = e.Key;
                n.Value = e.Value;
                ref var bucket = ref _buckets[e.Hash & (size - 1)];
                n.Next = bucket - 1;
                bucket = index + 1;
            }
        }

        _version++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckVersion(int version)
    {
        if (version != _version)
        {
            throw new InvalidOperationException("The Python dict or set changed size during iteration");
        }
    }

    /// <summary>Where a dict's or a set's enumerator stands: the live entries in insertion order; moving on fails
    /// once the table changed.</summary>
    public struct Cursor(PyHashTable table)
    {
        private readonly int _version = table.Version;
        private int _index = -1;

        public readonly ref Entry Current => ref table.EntryAt(_index);

        public bool MoveNext()
        {
            table.CheckVersion(_version);
            while (++_index < table.RawCount)
            {
                if (table.IsLive(_index))
                {
                    return true;
                }
            }

            return false;
        }

        public void Reset() => _index = -1;
    }

    public struct Entry
    {
        public int Hash;
        public int Next;
        public object? Key;
        public object? Value;
    }
}
