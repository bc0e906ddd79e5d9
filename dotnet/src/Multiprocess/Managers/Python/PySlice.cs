using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>
/// A Python <c>slice(start, stop, step)</c> as it arrives in a request (<c>builtins.slice</c> reduced with its three
/// fields), resolved against a length the way CPython's <c>PySlice_AdjustIndices</c> does.
/// </summary>
internal readonly record struct PySlice(long Start, long Stop, long Step, int Length)
{
    /// <summary>Recognizes a pickled slice.</summary>
    public static bool IsSlice(object? value, out PyReduce reduce)
    {
        reduce = null!;
        if (value is PyReduce { Kind: PyReduceKind.Reduce } r && BuiltinTypes.Is(r.Callable, "slice") && r.Args.Count is >= 1 and <= 3)
        {
            reduce = r;
            return true;
        }

        return false;
    }

    /// <summary>Resolves a slice over a sequence of <paramref name="length"/> items.</summary>
    /// <exception cref="PyRaisedException">ValueError for a zero step; TypeError for non-integer fields.</exception>
    public static PySlice Resolve(PyReduce slice, int length)
    {
        var args = slice.Args;
        object? start = null, stop, step = null;
        if (args.Count == 1)
        {
            stop = args[0];
        }
        else
        {
            start = args[0];
            stop = args[1];
            step = args.Count == 3 ? args[2] : null;
        }

        const string Message = "slice indices must be integers or None or have an __index__ method";
        var st = step is null ? 1 : PyValues.AsIndex(step, Message);
        if (st == 0)
        {
            throw PyErrors.ValueError("slice step cannot be zero");
        }

        long lo, hi;
        if (st > 0)
        {
            lo = start is null ? 0 : Clamp(PyValues.AsIndex(start, Message), length, 0, length);
            hi = stop is null ? length : Clamp(PyValues.AsIndex(stop, Message), length, 0, length);
        }
        else
        {
            lo = start is null ? length - 1 : Clamp(PyValues.AsIndex(start, Message), length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(PyValues.AsIndex(stop, Message), length, -1, length - 1);
        }

        long count = st > 0
            ? (hi > lo ? ((hi - lo - 1) / st) + 1 : 0)
            : (lo > hi ? ((lo - hi - 1) / -st) + 1 : 0);
        return new PySlice(lo, hi, st, (int)count);

        static long Clamp(long index, int length, long min, long max)
        {
            if (index < 0)
            {
                index += length;
                return index < min ? min : index;
            }

            return index > max ? max : index;
        }
    }

    /// <summary>The index of the i-th item of the slice.</summary>
    public int IndexAt(int i) => (int)(Start + (i * Step));
}
