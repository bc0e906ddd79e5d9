using System.Numerics;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>
/// Python's <c>&lt;</c> over the object model, for <c>list.sort</c>: numbers across int/float/bool exactly, str by
/// code point, bytes, tuples and lists lexicographically (Python <c>==</c> first, then <c>&lt;</c>), sets by proper
/// subset, dates and times within their type. Anything else raises CPython's TypeError.
/// </summary>
internal static class PyOrdering
{
    /// <summary>Python's <c>a &lt; b</c>.</summary>
    /// <exception cref="PyRaisedException">TypeError when Python does not order the two values.</exception>
    public static bool LessThan(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            return CompareNumbers(a!, b!) is < 0;
        }

        switch (a)
        {
            case string sa when b is string sb:
                return CodePoints.Compare(sa, sb) < 0;
            case byte[] or PyByteArray when b is byte[] or PyByteArray:
                return Bytes(a).SequenceCompareTo(Bytes(b)) < 0;
            case PyTuple ta when b is PyTuple tb:
                return Sequences(ta.AsSpan(), tb.AsSpan());
            case List<object?> la when b is List<object?> lb:
                return Sequences(la.ToArray(), lb.ToArray());
            case PySetBase xa when b is PySetBase xb:
                return xa.Count < xb.Count && xa.IsSubsetOf(xb);
            case DateTime da when b is DateTime db:
                return da < db;
            case DateTimeOffset oa when b is DateTimeOffset ob:
                return oa < ob;
            case DateTime or DateTimeOffset when b is DateTime or DateTimeOffset:
                throw PyErrors.TypeError("can't compare offset-naive and offset-aware datetimes");
            case DateOnly doa when b is DateOnly dob:
                return doa < dob;
            case TimeOnly toa when b is TimeOnly tob:
                return toa < tob;
            case TimeSpan tsa when b is TimeSpan tsb:
                return tsa < tsb;
        }

        throw PyErrors.TypeError($"'<' not supported between instances of '{PyRepr.TypeName(a)}' and '{PyRepr.TypeName(b)}'");
    }

    /// <summary>Stable sort using only <see cref="LessThan"/>, as CPython's list.sort; <paramref name="reverse"/> keeps stability.</summary>
    public static void Sort(object?[] items, bool reverse)
    {
        if (reverse)
        {
            Array.Reverse(items);
        }

        if (items.Length > 1)
        {
            var scratch = new object?[items.Length];
            MergeSort(items, scratch, 0, items.Length);
        }

        if (reverse)
        {
            Array.Reverse(items);
        }
    }

    private static void MergeSort(object?[] a, object?[] scratch, int lo, int hi)
    {
        if (hi - lo <= 16)
        {
            // Binary insertion sort, like timsort's short runs: stable, few comparisons.
            for (var i = lo + 1; i < hi; i++)
            {
                var x = a[i];
                int left = lo, right = i;
                while (left < right)
                {
                    var mid = (left + right) >> 1;
                    if (LessThan(x, a[mid]))
                    {
                        right = mid;
                    }
                    else
                    {
                        left = mid + 1;
                    }
                }

                Array.Copy(a, left, a, left + 1, i - left);
                a[left] = x;
            }

            return;
        }

        var m = (lo + hi) >> 1;
        MergeSort(a, scratch, lo, m);
        MergeSort(a, scratch, m, hi);
        if (!LessThan(a[m], a[m - 1]))
        {
            return;
        }

        Array.Copy(a, lo, scratch, lo, hi - lo);
        int l = lo, r = m, k = lo;
        while (l < m && r < hi)
        {
            a[k++] = LessThan(scratch[r], scratch[l]) ? scratch[r++] : scratch[l++];
        }

        while (l < m)
        {
            a[k++] = scratch[l++];
        }

        while (r < hi)
        {
            a[k++] = scratch[r++];
        }
    }

    private static bool IsNumber(object? v) => v is long or double or bool or BigInteger or int or PyDecimal;

    /// <summary>Exact comparison of two Python numbers; null when unordered (NaN).</summary>
    private static int? CompareNumbers(object a, object b)
    {
        if (a is double da && double.IsNaN(da) || b is double db && double.IsNaN(db))
        {
            return null;
        }

        if (a is PyDecimal || b is PyDecimal)
        {
            var x = ToDecimalDouble(a);
            var y = ToDecimalDouble(b);
            return double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y);
        }

        if (a is double fa && b is double fb)
        {
            return fa.CompareTo(fb);
        }

        if (a is double f1)
        {
            return CompareFloatInt(f1, ToBig(b));
        }

        if (b is double f2)
        {
            return -CompareFloatInt(f2, ToBig(a));
        }

        if (a is long la && b is long lb)
        {
            return la.CompareTo(lb);
        }

        return ToBig(a).CompareTo(ToBig(b));
    }

    private static int CompareFloatInt(double f, BigInteger i)
    {
        if (double.IsInfinity(f))
        {
            return f > 0 ? 1 : -1;
        }

        // Doubles are exact binary fractions: compare the integer part exactly, then the fraction.
        var floor = Math.Floor(f);
        var c = new BigInteger(floor).CompareTo(i);
        return c != 0 ? c : (f > floor ? 1 : 0);
    }

    private static BigInteger ToBig(object v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        int i => i,
        BigInteger big => big,
        _ => throw new InvalidOperationException($"not an integer: {v.GetType()}"),
    };

    private static double ToDecimalDouble(object v) => v is PyDecimal d ? d.ToDouble() : PyValues.AsDouble(v);

    private static ReadOnlySpan<byte> Bytes(object? v) => v is byte[] b ? b : ((PyByteArray)v!).Span;

    private static bool Sequences(ReadOnlySpan<object?> a, ReadOnlySpan<object?> b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (!PyObjectComparer.Python.Equals(a[i], b[i]))
            {
                return LessThan(a[i], b[i]);
            }
        }

        return a.Length < b.Length;
    }
}
