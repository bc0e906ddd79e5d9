using System.Globalization;
using System.Numerics;
using System.Text;

namespace Multiprocess.Pickle;

/// <content>The leaf reprs: classes, complex numbers, str and bytes as CPython quotes and escapes them.</content>
public static partial class PyRepr
{
    private static void WriteGlobal(StringBuilder sb, PyGlobal g)
    {
        var last = g.Name.Split('.')[^1];
        var isClass = last.Length > 0 && (char.IsUpper(last[0]) || g.Module is "builtins" or "__builtin__");
        if (isClass)
        {
            sb.Append("<class '").Append(g.Module is "builtins" ? g.Name : g.FullName).Append("'>");
        }
        else
        {
            sb.Append("<function ").Append(g.Name).Append('>');
        }
    }

    private static void WriteComplex(StringBuilder sb, Complex c)
    {
        // complex_repr: bare "<imag>j" when the real part is +0.0, else "(<real><signed imag>j)".
        if (c.Real == 0 && !double.IsNegative(c.Real))
        {
            sb.Append(FormatFloat(c.Imaginary, addDotZero: false)).Append('j');
            return;
        }

        var im = FormatFloat(c.Imaginary, addDotZero: false);
        if (im[0] != '-')
        {
            im = "+" + im;
        }

        sb.Append('(').Append(FormatFloat(c.Real, addDotZero: false)).Append(im).Append("j)");
    }

    internal static void WriteStr(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            int cp = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                cp = char.ConvertToUtf32(s[i], s[i + 1]);
                i++;
            }

            if (cp == quote || cp == '\\')
            {
                sb.Append('\\').Append((char)cp);
            }
            else if (cp == '\t')
            {
                sb.Append("\\t");
            }
            else if (cp == '\n')
            {
                sb.Append("\\n");
            }
            else if (cp == '\r')
            {
                sb.Append("\\r");
            }
            else if (cp < ' ' || cp == 0x7f)
            {
                sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (cp < 0x7f)
            {
                sb.Append((char)cp);
            }
            else if (IsPrintable(cp))
            {
                if (cp > 0xFFFF)
                {
                    sb.Append(char.ConvertFromUtf32(cp));
                }
                else
                {
                    sb.Append((char)cp);
                }
            }
            else if (cp <= 0xff)
            {
                sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (cp <= 0xffff)
            {
                sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
            }
        }

        sb.Append(quote);
    }

    internal static void WriteBytes(StringBuilder sb, ReadOnlySpan<byte> bytes, bool alwaysEscapeSingleQuote = false)
    {
        // bytes_repr picks the quote like str; bytearray_repr also always escapes a single quote.
        var quote = bytes.Contains((byte)'\'') && !bytes.Contains((byte)'"') ? '"' : '\'';
        sb.Append('b').Append(quote);
        foreach (var b in bytes)
        {
            if (b == quote || b == '\\' || (alwaysEscapeSingleQuote && b == '\''))
            {
                sb.Append('\\').Append((char)b);
            }
            else if (b == '\t')
            {
                sb.Append("\\t");
            }
            else if (b == '\n')
            {
                sb.Append("\\n");
            }
            else if (b == '\r')
            {
                sb.Append("\\r");
            }
            else if (b < ' ' || b >= 0x7f)
            {
                sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        sb.Append(quote);
    }

    /// <summary>Py_UNICODE_ISPRINTABLE: everything but the Other (C*) and Separator (Z*) categories, space excepted.</summary>
    private static bool IsPrintable(int cp)
    {
        if (cp is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
            UnicodeCategory.SpaceSeparator => cp == ' ',
            _ => true,
        };
    }
}
