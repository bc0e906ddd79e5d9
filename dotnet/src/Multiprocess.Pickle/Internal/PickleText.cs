using System.Globalization;
using System.Numerics;
using System.Text;

namespace Multiprocess.Pickle.Internal;

/// <summary>Protocol 0's text arguments, shared by the unpickler and the disassembler.</summary>
internal static class PickleText
{
    /// <summary>STRING's argument: a quoted repr of a Python 2 str, unescaped with codecs.escape_decode.</summary>
    public static byte[] UnquoteString(ReadOnlySpan<byte> line)
    {
        if (line.Length < 2 || line[0] != line[^1] || line[0] is not ((byte)'\'' or (byte)'"'))
        {
            throw new FormatException("the STRING opcode argument must be quoted");
        }

        return EscapeDecode(line[1..^1]);
    }

    /// <summary>codecs.escape_decode: backslash escapes of a Python 2 str literal body.</summary>
    public static byte[] EscapeDecode(ReadOnlySpan<byte> line)
    {
        var output = new List<byte>(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var b = line[i];
            if (b != (byte)'\\')
            {
                output.Add(b);
                continue;
            }

            if (++i >= line.Length)
            {
                throw new FormatException("Trailing \\ in string");
            }

            var c = line[i];
            switch (c)
            {
                case (byte)'\n': break;
                case (byte)'\\': output.Add((byte)'\\'); break;
                case (byte)'\'': output.Add((byte)'\''); break;
                case (byte)'"': output.Add((byte)'"'); break;
                case (byte)'b': output.Add(8); break;
                case (byte)'f': output.Add(12); break;
                case (byte)'t': output.Add(9); break;
                case (byte)'n': output.Add(10); break;
                case (byte)'r': output.Add(13); break;
                case (byte)'v': output.Add(11); break;
                case (byte)'a': output.Add(7); break;
                case >= (byte)'0' and <= (byte)'7':
                    {
                        var v = c - '0';
                        for (var k = 0; k < 2 && i + 1 < line.Length && line[i + 1] is >= (byte)'0' and <= (byte)'7'; k++)
                        {
                            v = (v * 8) + (line[++i] - '0');
                        }

                        output.Add((byte)v);
                        break;
                    }

                case (byte)'x':
                    if (i + 2 < line.Length && IsHex(line[i + 1]) && IsHex(line[i + 2]))
                    {
                        output.Add((byte)((HexValue(line[i + 1]) << 4) | HexValue(line[i + 2])));
                        i += 2;
                        break;
                    }

                    throw new FormatException($"invalid \\x escape at position {i - 1}");
                default:
                    output.Add((byte)'\\');
                    output.Add(c);
                    break;
            }
        }

        return output.ToArray();
    }

    /// <summary>The raw-unicode-escape codec: Latin-1 bytes, except \uXXXX and \UXXXXXXXX after an odd run of backslashes.</summary>
    public static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> line)
    {
        var sb = new StringBuilder(line.Length);
        var i = 0;
        while (i < line.Length)
        {
            var b = line[i];
            if (b != (byte)'\\')
            {
                sb.Append((char)b);
                i++;
                continue;
            }

            var run = 0;
            while (i + run < line.Length && line[i + run] == (byte)'\\')
            {
                run++;
            }

            var next = i + run;
            if (run % 2 == 1 && next < line.Length && line[next] is (byte)'u' or (byte)'U')
            {
                var width = line[next] == (byte)'u' ? 4 : 8;
                if (next + width >= line.Length + 1 || !AllHex(line.Slice(next + 1, Math.Min(width, line.Length - next - 1)), width))
                {
                    throw new ArgumentException($"'rawunicodeescape' codec can't decode bytes in position {next - 1}: truncated \\{(char)line[next]}XXXX escape");
                }

                sb.Append('\\', run - 1);
                var cp = 0;
                for (var k = 1; k <= width; k++)
                {
                    cp = (cp << 4) | HexValue(line[next + k]);
                }

                if (cp > 0x10FFFF)
                {
                    throw new ArgumentException($"'rawunicodeescape' codec can't decode bytes in position {next - 1}: \\Uxxxxxxxx out of range");
                }

                if (cp > 0xFFFF)
                {
                    sb.Append(char.ConvertFromUtf32(cp));
                }
                else
                {
                    sb.Append((char)cp);
                }

                i = next + 1 + width;
                continue;
            }

            sb.Append('\\', run);
            i = next;
        }

        return sb.ToString();
    }

    internal static bool AllHex(ReadOnlySpan<byte> s, int width)
    {
        if (s.Length < width)
        {
            return false;
        }

        foreach (var b in s)
        {
            if (!IsHex(b))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool IsHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    internal static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>int(text, 0) for INT/LONG/GET/PUT arguments.</summary>
    public static object ParseInt(ReadOnlySpan<byte> line, int maxDigits = int.MaxValue)
    {
        var text = Encoding.ASCII.GetString(line).Trim().Replace("_", "", StringComparison.Ordinal);
        var digits = text.TrimStart('+', '-').Length;
        if (digits > maxDigits)
        {
            throw new FormatException($"integer text has {digits} digits, more than the limit {maxDigits} (PickleSecurity.MaxIntegerDigits)");
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        var negative = text.StartsWith('-');
        var body = text.TrimStart('+', '-');
        BigInteger value;
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && body.Length > 2 && body[2..].All(char.IsAsciiHexDigit))
        {
            value = BigInteger.Parse("0" + body[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else if ((body.StartsWith("0o", StringComparison.OrdinalIgnoreCase) || body.StartsWith("0b", StringComparison.OrdinalIgnoreCase)) && body.Length > 2)
        {
            var radix = char.ToLowerInvariant(body[1]) == 'o' ? 8 : 2;
            value = BigInteger.Zero;
            foreach (var c in body[2..])
            {
                var d = c - '0';
                if (d < 0 || d >= radix)
                {
                    throw new FormatException($"invalid literal for int() with base 0: {PyRepr.Repr(text)}");
                }

                value = (value * radix) + d;
            }
        }
        else if (body.Length > 0 && body.All(char.IsAsciiDigit))
        {
            value = BigInteger.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        else
        {
            throw new FormatException($"invalid literal for int() with base 0: {PyRepr.Repr(text)}");
        }

        value = negative ? -value : value;
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    /// <summary>float(text) for FLOAT arguments (inf, nan and exponents as Python spells them).</summary>
    public static double ParseFloat(ReadOnlySpan<byte> line)
    {
        var text = Encoding.ASCII.GetString(line).Trim();
        var body = text.TrimStart('+', '-').ToLowerInvariant();
        var sign = text.StartsWith('-') ? -1.0 : 1.0;
        if (body is "inf" or "infinity")
        {
            return sign * double.PositiveInfinity;
        }

        if (body == "nan")
        {
            return BitConverter.Int64BitsToDouble(0x7FF8000000000000); // float('nan'): sign bit clear, unlike double.NaN
        }

        if (body.Length == 0 || !body.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or '+' or '-' or '_')
            || !double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            throw new FormatException($"could not convert string to float: {PyRepr.Repr(text)}");
        }

        return d;
    }
}
