using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Multiprocess.Pickle;

/// <summary>
/// CPython's <c>repr()</c> and <c>str()</c> for the object model, character for character for builtins: str quoting
/// and escapes (non-printable and lone surrogates as <c>\x</c>/<c>\u</c>/<c>\U</c>), float repr (shortest round
/// trip, <c>1e+16</c>, <c>inf</c>, <c>nan</c>), <c>(1,)</c>, dicts, sets, bytes escapes, complex, Decimal,
/// datetime, UUID, and <c>[...]</c> for recursion. Used by <c>multiprocess pickle show</c> and a manager's
/// <c>__repr__</c>.
/// </summary>
public static partial class PyRepr
{
    /// <summary>Returns Python's <c>repr(value)</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The repr text.</returns>
    /// <exception cref="InsufficientExecutionStackException">The value nests too deeply (Python's RecursionError).</exception>
    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        new Writer(sb).Write(value);
        return sb.ToString();
    }

    /// <summary>Returns Python's <c>str(value)</c>: the text itself for a str, the message for an exception, else the repr.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Str(object? value) => value switch
    {
        string s => s,
        PyException e => e.Message,
        PyDecimal d => d.ToString(),
        DateTime or DateTimeOffset or DateOnly or TimeOnly or TimeSpan => StrOfDateTime(value),
        Guid g => g.ToString("D"),
        _ => Repr(value),
    };

    /// <summary>Returns the Python type name of a value (<c>int</c>, <c>str</c>, <c>NoneType</c>, a class name...).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The name.</returns>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long or int or short or sbyte or byte or ushort or uint or ulong or BigInteger or Int128 or UInt128 => "int",
        double or float or Half => "float",
        Complex => "complex",
        string or char => "str",
        byte[] or ReadOnlyMemory<byte> => "bytes",
        PyByteArray => "bytearray",
        PyTuple or System.Runtime.CompilerServices.ITuple => "tuple",
        List<object?> or System.Collections.IList => "list",
        PyDict or System.Collections.IDictionary => "dict",
        PySet => "set",
        PyFrozenSet => "frozenset",
        DateTime or DateTimeOffset => "datetime",
        DateOnly => "date",
        TimeOnly => "time",
        TimeSpan => "timedelta",
        PyDecimal or decimal => "Decimal",
        Guid => "UUID",
        PyGlobal => "type",
        PyException e => e.TypeName,
        PyReduce r => r.ClassGlobal?.Name.Split('.')[^1] ?? "object",
        PySingleton s => s == PySingleton.Ellipsis ? "ellipsis" : "NotImplementedType",
        PickleBuffer => "memoryview",
        _ => value.GetType().Name,
    };

    /// <summary>Formats a double as Python's <c>repr(float)</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>E.g. <c>0.1</c>, <c>1e+16</c>, <c>-0.0</c>, <c>inf</c>, <c>nan</c>.</returns>
    public static string Float(double value) => FormatFloat(value, addDotZero: true);

    private static string StrOfDateTime(object value)
    {
        // str(datetime) is isoformat(sep=' '); str(timedelta) is "[D day[s], ]H:MM:SS[.ffffff]".
        switch (value)
        {
            case DateTime dt:
                return dt.ToString(dt.Ticks % TimeSpan.TicksPerSecond / 10 == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            case DateTimeOffset dto:
                return StrOfDateTime(dto.DateTime) + FormatOffset(dto.Offset);
            case DateOnly d:
                return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            case TimeOnly t:
                return t.ToString(t.Ticks % TimeSpan.TicksPerSecond / 10 == 0 ? "HH:mm:ss" : "HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            default:
                var (days, seconds, micro) = PyDateTime.SplitTimeDelta((TimeSpan)value);
                var sb = new StringBuilder();
                if (days != 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{days} day{(Math.Abs(days) == 1 ? "" : "s")}, ");
                }

                sb.Append(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}");
                if (micro != 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $".{micro:000000}");
                }

                return sb.ToString();
        }
    }

    private static string FormatOffset(TimeSpan offset)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var a = offset.Duration();
        var text = string.Create(CultureInfo.InvariantCulture, $"{sign}{a.Hours:00}:{a.Minutes:00}");
        if (a.Seconds != 0 || a.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $":{a.Seconds:00}");
            if (a.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                text += string.Create(CultureInfo.InvariantCulture, $".{a.Ticks % TimeSpan.TicksPerSecond / 10:000000}");
            }
        }

        return text;
    }

    /// <summary>PyOS_double_to_string with format 'r' (shortest repr), optionally adding ".0" to integral values.</summary>
    internal static string FormatFloat(double value, bool addDotZero)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        var negative = double.IsNegative(value);
        if (value == 0)
        {
            return (negative ? "-0" : "0") + (addDotZero ? ".0" : "");
        }

        // .NET's "R" is the shortest round-trip digit string; re-lay it out with Python's rules.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exp = 0;
        var e = r.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exp = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        var dot = r.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? r[..dot] : r;
        var digits = dot >= 0 ? intPart + r[(dot + 1)..] : r;
        var decpt = intPart.Length + exp;
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..];
        decpt -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var sb = new StringBuilder(24);
        if (negative)
        {
            sb.Append('-');
        }

        if (decpt > -4 && decpt <= 16)
        {
            if (decpt <= 0)
            {
                sb.Append("0.").Append('0', -decpt).Append(digits);
            }
            else if (decpt >= digits.Length)
            {
                sb.Append(digits).Append('0', decpt - digits.Length);
                if (addDotZero)
                {
                    sb.Append(".0");
                }
            }
            else
            {
                sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            var x = decpt - 1;
            sb.Append('e').Append(x < 0 ? '-' : '+').Append(Math.Abs(x).ToString("00", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    internal static string FakeAddress(object value) =>
        "0x" + (0x7f0000000000L + ((long)(uint)RuntimeHelpers.GetHashCode(value) << 4)).ToString("x", CultureInfo.InvariantCulture);
}
