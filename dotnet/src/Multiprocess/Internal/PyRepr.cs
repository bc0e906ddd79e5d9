using System.Globalization;
using System.Text;

namespace Multiprocess.Internal;

/// <summary>
/// CPython's <c>repr()</c> of the scalar types shared memory holds (int, float, bool, None, str, bytes), so that
/// messages and <c>ToString()</c> read as Python prints them.
/// </summary>
internal static class PyRepr
{
    /// <summary><c>repr(value)</c> for long, int, double, bool, null, string and byte[].</summary>
    public static string Of(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        string s => Str(s),
        byte[] bytes => Bytes(bytes),
        _ => value.ToString() ?? "",
    };

    /// <summary><c>repr(float)</c>: the shortest round-trip digits, fixed notation when the decimal exponent is in
    /// [-4, 16), else <c>d.ddde±XX</c>; always a '.' or an 'e' (<c>2.0</c>, <c>1e+16</c>, <c>1.5e-05</c>).</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        // "R" is the shortest round-trip form since .NET Core 3.0; take its digits and exponent apart.
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = r.StartsWith('-');
        if (negative)
        {
            r = r[1..];
        }

        var exponent = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        var dot = r.IndexOf('.');
        var intPart = dot < 0 ? r : r[..dot];
        var fracPart = dot < 0 ? "" : r[(dot + 1)..];
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - (intPart + fracPart).TrimStart('0').Length;

        // value = 0.DIGITS × 10^decpt (David Gay's dtoa convention, which CPython's repr rules are written in).
        var decpt = intPart.Length + exponent - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return negative ? "-0.0" : "0.0";
        }

        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }

        if (decpt is > -4 and <= 16)
        {
            if (decpt <= 0)
            {
                sb.Append("0.").Append('0', -decpt).Append(digits);
            }
            else if (decpt >= digits.Length)
            {
                sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
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

            var exp = decpt - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary><c>repr(str)</c>: single quotes unless the text has a ' and no ", escapes for the backslash, the quote,
    /// \t \n \r and non-printable characters.</summary>
    public static string Str(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var cp = char.ConvertToUtf32(c, s[i + 1]);
                var category = CharUnicodeInfo.GetUnicodeCategory(cp);
                if (IsPrintable(category))
                {
                    sb.Append(c).Append(s[i + 1]);
                }
                else
                {
                    sb.Append(CultureInfo.InvariantCulture, $"\\U{cp:x8}");
                }

                i++;
                continue;
            }

            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c == ' ' || (c < 0x7f && c > 0x20))
                    {
                        sb.Append(c);
                    }
                    else if (c >= 0x7f && IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c)))
                    {
                        sb.Append(c);
                    }
                    else if (c < 0x100)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }

                    break;
            }
        }

        return sb.Append(quote).ToString();
    }

    /// <summary><c>repr(bytes)</c>: <c>b'...'</c> with \t \n \r, \\, the quote and \xNN for bytes outside 0x20–0x7e.</summary>
    public static string Bytes(ReadOnlySpan<byte> b)
    {
        var quote = b.Contains((byte)'\'') && !b.Contains((byte)'"') ? '"' : '\'';
        var sb = new StringBuilder(b.Length + 3).Append('b').Append(quote);
        foreach (var x in b)
        {
            switch (x)
            {
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                default:
                    if (x == quote)
                    {
                        sb.Append('\\').Append((char)x);
                    }
                    else if (x is >= 0x20 and < 0x7f)
                    {
                        sb.Append((char)x);
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{x:x2}");
                    }

                    break;
            }
        }

        return sb.Append(quote).ToString();
    }

    // str.isprintable(): everything but the "Other" and "Separator" categories, except the plain space.
    private static bool IsPrintable(UnicodeCategory category) => category is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.SpaceSeparator);
}
