using System.Numerics;
using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Python;

/// <summary>Python's truth, <c>operator.index</c> and number conversions over the pickle object model.</summary>
internal static class PyValues
{
    private static readonly object s_true = true;
    private static readonly object s_false = false;

    /// <summary>A bool as a shared box: a method returning <c>True</c>/<c>False</c> per call (acquire) allocates nothing.</summary>
    public static object Box(bool value) => value ? s_true : s_false;

    /// <summary>Python's <c>bool(value)</c>; user objects (kept as data) are true, as objects without <c>__bool__</c>/<c>__len__</c> are.</summary>
    public static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        BigInteger bi => !bi.IsZero,
        string s => s.Length > 0,
        byte[] bytes => bytes.Length > 0,
        PyByteArray ba => ba.Length > 0,
        PyTuple t => t.Count > 0,
        List<object?> list => list.Count > 0,
        PyDict dict => dict.Count > 0,
        PySetBase set => set.Count > 0,
        Complex c => c != Complex.Zero,
        PyDecimal dec => !dec.Coefficient.IsZero || dec.Kind != PyDecimalKind.Finite,
        int i => i != 0,
        _ => true,
    };

    /// <summary>Whether the value is a Python int (bool included, as in Python).</summary>
    public static bool IsInt(object? value) => value is long or bool or BigInteger or int;

    /// <summary>Python's <c>operator.index(value)</c> clamped to a 64-bit result.</summary>
    /// <exception cref="PyRaisedException">TypeError for non-integers; IndexError beyond 64 bits.</exception>
    public static long AsIndex(object? value, string? context = null) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        int i => i,
        BigInteger big => big >= long.MinValue && big <= long.MaxValue
            ? (long)big
            : throw PyErrors.IndexError("cannot fit 'int' into an index-sized integer"),
        _ => throw PyErrors.TypeError(context ?? $"'{PyRepr.TypeName(value)}' object cannot be interpreted as an integer"),
    };

    /// <summary>Converts a Python real number to double (int, bool, float).</summary>
    /// <exception cref="PyRaisedException">TypeError when it is not a real number; OverflowError for huge ints.</exception>
    public static double AsDouble(object? value) => value switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        int i => i,
        BigInteger big => BigToDouble(big),
        _ => throw PyErrors.TypeError($"must be real number, not {PyRepr.TypeName(value)}"),
    };

    /// <summary>
    /// A timeout argument as threading and queue take it: None means wait forever (null), numbers are seconds.
    /// </summary>
    /// <exception cref="PyRaisedException">TypeError for a value that is not a number.</exception>
    public static double? AsTimeout(object? value) => value is null
        ? null
        : value is double or long or bool or int or BigInteger
            ? AsDouble(value)
            : throw PyErrors.TypeError($"'{PyRepr.TypeName(value)}' object cannot be interpreted as a float");

    /// <summary>Python's <c>len(value)</c> for sized values, else null.</summary>
    public static int? Length(object? value) => value switch
    {
        string s => CodePoints.Count(s),
        byte[] b => b.Length,
        PyByteArray ba => ba.Length,
        PyTuple t => t.Count,
        List<object?> l => l.Count,
        PyDict d => d.Count,
        PySetBase set => set.Count,
        _ => null,
    };

    private static double BigToDouble(BigInteger big)
    {
        var d = (double)big;
        return double.IsInfinity(d) ? throw PyErrors.OverflowError("int too large to convert to float") : d;
    }
}
