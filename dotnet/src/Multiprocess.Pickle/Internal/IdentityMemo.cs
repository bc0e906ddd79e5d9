using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle.Internal;

/// <summary>
/// The pickler's memo (Modules/_pickle.c PyMemoTable): object identity → memo index, open addressing with linear
/// probing over parallel arrays. Lookups happen for every str, tuple, list and dict pickled, so this is on the hot
/// path; it is about twice as fast as a Dictionary with a reference comparer.
/// </summary>
internal sealed class IdentityMemo
{
    private object?[] _keys = new object?[32];
    private int[] _values = new int[32];
    private int _count;

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(object key, out int value)
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var i = Slot(key, mask);
        while (true)
        {
            var k = keys[i];
            if (ReferenceEquals(k, key))
            {
                value = _values[i];
                return true;
            }

            if (k is null)
            {
                value = 0;
                return false;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>Sets the index of <paramref name="key"/> (overwriting, as memo_put does).</summary>
    public void Set(object key, int value)
    {
        if ((_count + 1) * 2 > _keys.Length)
        {
            Grow();
        }

        var keys = _keys;
        var mask = keys.Length - 1;
        var i = Slot(key, mask);
        while (true)
        {
            var k = keys[i];
            if (k is null)
            {
                keys[i] = key;
                _values[i] = value;
                _count++;
                return;
            }

            if (ReferenceEquals(k, key))
            {
                _values[i] = value;
                return;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>Forgets every entry; a table grown large is dropped rather than cleared.</summary>
    public void Clear()
    {
        if (_keys.Length > 4096)
        {
            _keys = new object?[32];
            _values = new int[32];
        }
        else if (_count > 0)
        {
            Array.Clear(_keys);
        }

        _count = 0;
    }

    /// <summary>Adds unless present; returns whether it was added.</summary>
    public bool TryAdd(object key, int value)
    {
        if (TryGetValue(key, out _))
        {
            return false;
        }

        Set(key, value);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(object key, int mask) =>
        (int)((uint)(RuntimeHelpers.GetHashCode(key) * -1640531535) >> 7) & mask; // Fibonacci spread of the identity hash

    private void Grow()
    {
        var oldKeys = _keys;
        var oldValues = _values;
        _keys = new object?[oldKeys.Length * 2];
        _values = new int[oldKeys.Length * 2];
        _count = 0;
        for (var j = 0; j < oldKeys.Length; j++)
        {
            if (oldKeys[j] is { } k)
            {
                Set(k, oldValues[j]);
            }
        }
    }
}
