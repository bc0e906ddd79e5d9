using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>Indexing, slices and the sequence operators of <c>list</c>, with CPython's messages.</summary>
internal sealed partial class SharedList
{
    private const string IndicesMessage = "list indices must be integers or slices, not ";

    private object? GetItem(object? key)
    {
        if (PySlice.IsSlice(key, out var slice))
        {
            var s = PySlice.Resolve(slice, _items.Count);
            var result = new List<object?>(s.Length);
            for (var i = 0; i < s.Length; i++)
            {
                result.Add(_items[s.IndexAt(i)]);
            }

            return result;
        }

        var index = Normalize(Index(key), "list index out of range");
        return _items[index];
    }

    private object? SetItem(ReadOnlySpan<object?> args, SharedCallContext context)
    {
        var key = args[0];
        var value = args[1];
        if (!PySlice.IsSlice(key, out var slice))
        {
            _items[Normalize(Index(key), "list assignment index out of range")] = value;
            return null;
        }

        var s = PySlice.Resolve(slice, _items.Count);
        var source = SliceSource(value, context);
        if (s.Step == 1)
        {
            // Plain slice: replace [start, stop) with any number of items.
            var start = (int)s.Start;
            var stop = Math.Max(start, (int)s.Stop);
            _items.RemoveRange(start, stop - start);
            _items.InsertRange(start, source);
            return null;
        }

        if (source.Count != s.Length)
        {
            throw PyErrors.ValueError($"attempt to assign sequence of size {source.Count} to extended slice of size {s.Length}");
        }

        for (var i = 0; i < s.Length; i++)
        {
            _items[s.IndexAt(i)] = source[i];
        }

        return null;
    }

    private object? DelItem(object? key)
    {
        if (!PySlice.IsSlice(key, out var slice))
        {
            _items.RemoveAt(Normalize(Index(key), "list assignment index out of range"));
            return null;
        }

        var s = PySlice.Resolve(slice, _items.Count);
        if (s.Length == 0)
        {
            return null;
        }

        var doomed = new HashSet<int>();
        for (var i = 0; i < s.Length; i++)
        {
            doomed.Add(s.IndexAt(i));
        }

        var kept = new List<object?>(_items.Count - doomed.Count);
        for (var i = 0; i < _items.Count; i++)
        {
            if (!doomed.Contains(i))
            {
                kept.Add(_items[i]);
            }
        }

        _items.Clear();
        _items.AddRange(kept);
        return null;
    }

    private List<object?> Add(object? other) => other is List<object?> list
        ? [.. _items, .. list]
        : throw PyErrors.TypeError($"can only concatenate list (not \"{PyRepr.TypeName(other)}\") to list");

    private List<object?> Repeat(object? count)
    {
        var n = RepeatCount(count);
        var result = new List<object?>(checked(_items.Count * n));
        for (var i = 0; i < n; i++)
        {
            result.AddRange(_items);
        }

        return result;
    }

    private List<object?> InPlaceRepeat(object? count)
    {
        var repeated = Repeat(count);
        _items.Clear();
        _items.AddRange(repeated);
        return [.. _items];
    }

    private object? Insert(ReadOnlySpan<object?> args)
    {
        var index = PyValues.AsIndex(args[0]);
        if (index < 0)
        {
            index = Math.Max(0, index + _items.Count);
        }

        _items.Insert((int)Math.Min(index, _items.Count), args[1]);
        return null;
    }

    private object? Pop(PyTuple args)
    {
        if (args.Count > 1)
        {
            throw PyErrors.TypeError($"pop expected at most 1 argument, got {args.Count}");
        }

        if (_items.Count == 0)
        {
            throw PyErrors.IndexError("pop from empty list");
        }

        var index = Normalize(args.Count == 0 ? -1 : PyValues.AsIndex(args[0]), "pop index out of range");
        var value = _items[index];
        _items.RemoveAt(index);
        return value;
    }

    private object? Remove(object? value)
    {
        var i = IndexOf(value, 0, _items.Count);
        if (i < 0)
        {
            throw PyErrors.ValueError("list.remove(x): x not in list");
        }

        _items.RemoveAt(i);
        return null;
    }

    private long Index(PyTuple args)
    {
        if (args.Count is < 1 or > 3)
        {
            throw PyErrors.TypeError($"index expected at least 1 argument, got {args.Count}");
        }

        var start = args.Count > 1 ? Bound(PyValues.AsIndex(args[1])) : 0;
        var stop = args.Count > 2 ? Bound(PyValues.AsIndex(args[2])) : _items.Count;
        var i = IndexOf(args[0], start, stop);
        return i >= 0 ? i : throw PyErrors.ValueError($"{PyRepr.Repr(args[0])} is not in list");

        int Bound(long v) => (int)(v < 0 ? Math.Max(0, v + _items.Count) : Math.Min(v, _items.Count));
    }

    private static long Index(object? key) => PyValues.IsInt(key)
        ? PyValues.AsIndex(key)
        : throw PyErrors.TypeError(IndicesMessage + PyRepr.TypeName(key));

    private static int RepeatCount(object? count)
    {
        if (!PyValues.IsInt(count))
        {
            throw PyErrors.TypeError($"can't multiply sequence by non-int of type '{PyRepr.TypeName(count)}'");
        }

        var n = PyValues.AsIndex(count);
        return n <= 0 ? 0 : n > int.MaxValue ? throw PyErrors.MemoryError() : (int)n;
    }

    /// <summary>What a slice assignment accepts: any iterable (CPython: "can only assign an iterable").</summary>
    private static List<object?> SliceSource(object? value, SharedCallContext context)
    {
        try
        {
            return PyIteration.ToList(value, context);
        }
        catch (PyRaisedException)
        {
            throw PyErrors.TypeError("can only assign an iterable");
        }
    }

    private int Normalize(long index, string message)
    {
        if (index < 0)
        {
            index += _items.Count;
        }

        return index >= 0 && index < _items.Count ? (int)index : throw PyErrors.IndexError(message);
    }
}
