using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// Python's <c>list(iterable)</c> over the values a request can carry: list, tuple, str (code points), bytes and
/// bytearray (ints), dict (keys), set, frozenset, <c>range</c>, <c>array.array</c>, list/dict iterators as CPython
/// pickles them, and proxies of this very server (iterated on the server, as CPython's proxy would be).
/// </summary>
internal static class PyIteration
{
    /// <summary>The items of an iterable.</summary>
    /// <exception cref="PyRaisedException">TypeError: the value is not iterable.</exception>
    public static List<object?> ToList(object? iterable, SharedCallContext? context)
    {
        switch (iterable)
        {
            case List<object?> list:
                return [.. list];
            case PyTuple tuple:
                return [.. tuple];
            case string s:
                return CodePoints.Split(s);
            case byte[] bytes:
                return Ints(bytes);
            case PyByteArray byteArray:
                return Ints(byteArray.Span);
            case PyDict dict:
                return [.. dict.Keys];
            case PySetBase set:
                return [.. set];
            case PyReduce reduce:
                if (TryReduced(reduce, out var items))
                {
                    return items;
                }

                if (context?.Resolve(reduce) is IIterableReferent referent)
                {
                    return referent.Snapshot();
                }

                break;
        }

        throw PyErrors.TypeError($"'{PyRepr.TypeName(iterable)}' object is not iterable");
    }

    /// <summary>
    /// Replaces a proxy of one of this server's containers by a copy of its contents (a dict by a dict, others by a
    /// list), so a method can use it while holding only its own lock: two objects that read each other at once
    /// (<c>a.extend(b)</c> while <c>b.extend(a)</c>) then cannot deadlock. Other values pass through.
    /// </summary>
    public static object? Materialize(object? value, SharedCallContext context) => value is PyReduce
        ? context.Resolve(value) switch
        {
            SharedDict dict => dict.GetValue(),
            IIterableReferent referent => referent.Snapshot(),
            _ => value,
        }
        : value;

    private static List<object?> Ints(ReadOnlySpan<byte> bytes)
    {
        var result = new List<object?>(bytes.Length);
        foreach (var b in bytes)
        {
            result.Add((long)b);
        }

        return result;
    }

    private static bool TryReduced(PyReduce reduce, out List<object?> items)
    {
        items = null!;
        if (reduce.Kind != PyReduceKind.Reduce)
        {
            return false;
        }

        if (BuiltinTypes.TryRange(reduce, out var start, out var stop, out var step))
        {
            items = [];
            for (var i = start; step > 0 ? i < stop : i > stop; i += step)
            {
                items.Add(i);
            }

            return true;
        }

        if (reduce.Callable is not PyGlobal g)
        {
            return false;
        }

        if (g.Is("array", "array") && SharedArray.TryFromReduce(reduce, out var array))
        {
            items = array.Snapshot();
            return true;
        }

        // iter(list) / reversed(list) as a list iterator pickles: the list, then the position as BUILD state.
        if ((g.Is("builtins", "iter") || g.Is("builtins", "reversed")) && reduce.Args.Count == 1)
        {
            var source = ToList(reduce.Args[0], null);
            if (g.Name == "reversed")
            {
                var position = reduce.State is null ? source.Count - 1 : PyValues.AsIndex(reduce.State);
                items = [];
                for (var i = Math.Min(position, source.Count - 1); i >= 0; i--)
                {
                    items.Add(source[(int)i]);
                }
            }
            else
            {
                var position = reduce.State is null ? 0 : (int)Math.Clamp(PyValues.AsIndex(reduce.State), 0, source.Count);
                items = source.GetRange(position, source.Count - position);
            }

            return true;
        }

        return false;
    }
}
