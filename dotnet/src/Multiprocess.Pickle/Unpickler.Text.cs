using System.Globalization;
using System.Numerics;
using System.Text;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <content>Text arguments: protocol 0's decimal ints and floats, quoted and raw-unicode-escaped strings, and str decoding.</content>
internal sealed partial class Unpickler
{
    private string DecodeUtf8(ReadOnlySpan<byte> bytes, byte op, int offset)
    {
        if (!PyUtf8.TryDecode(bytes, out var s))
        {
            throw Error("'utf-8' codec can't decode the str argument (invalid UTF-8)", op, offset);
        }

        return s;
    }

    private string DecodeAscii(ReadOnlySpan<byte> bytes, byte op, int offset)
    {
        if (!System.Text.Ascii.IsValid(bytes))
        {
            throw Error("persistent IDs in protocol 0 must be ASCII strings", op, offset);
        }

        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>Python 2 str (STRING/BINSTRING/SHORT_BINSTRING): decoded per <see cref="UnpickleOptions.Py2Strings"/>.</summary>
    private object DecodePy2String(ReadOnlySpan<byte> bytes, byte op, int offset)
    {
        switch (_options.Py2Strings)
        {
            case Py2StringEncoding.Bytes:
                return bytes.ToArray();
            case Py2StringEncoding.Latin1:
                return Encoding.Latin1.GetString(bytes);
            case Py2StringEncoding.Utf8:
                return DecodeUtf8(bytes, op, offset);
            default:
                var bad = bytes.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
                if (bad >= 0)
                {
                    throw Error($"'ascii' codec can't decode byte 0x{bytes[bad]:x2} in position {bad} of a Python 2 str (set UnpickleOptions.Py2Strings)", op, offset);
                }

                return Encoding.ASCII.GetString(bytes);
        }
    }

    private object ParseInt(ReadOnlySpan<byte> line, byte op, int offset)
    {
        // load_int: "00"/"01" are False/True (Python 2.2's bools); anything else is int(text, 0).
        if (line.Length == 2 && line[0] == (byte)'0' && line[1] is (byte)'0' or (byte)'1')
        {
            return line[1] == (byte)'1' ? BoxedTrue : BoxedFalse;
        }

        return ParseDecimal(line, op, offset);
    }

    private object ParseLong(ReadOnlySpan<byte> line, byte op, int offset)
    {
        if (line.Length > 0 && line[^1] == (byte)'L')
        {
            line = line[..^1];
        }

        return ParseDecimal(line, op, offset);
    }

    private object ParseDecimal(ReadOnlySpan<byte> line, byte op, int offset)
    {
        var text = Encoding.ASCII.GetString(line).Trim().Replace("_", "", StringComparison.Ordinal);
        var digits = text.TrimStart('+', '-').Length;
        if (digits > _security.MaxIntegerDigits)
        {
            throw Error($"integer text has {digits} digits, more than the limit {_security.MaxIntegerDigits} (PickleSecurity.MaxIntegerDigits)", op, offset);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return BoxInt(l);
        }

        var negative = text.StartsWith('-');
        var body = text.TrimStart('+', '-');
        BigInteger value;
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            value = BigInteger.Parse("0" + body[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else if (body.StartsWith("0o", StringComparison.OrdinalIgnoreCase) || body.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
        {
            var radix = char.ToLowerInvariant(body[1]) == 'o' ? 8 : 2;
            value = BigInteger.Zero;
            foreach (var c in body[2..])
            {
                var d = c - '0';
                if (d < 0 || d >= radix)
                {
                    throw Error($"invalid literal for int() with base 0: {PyRepr.Repr(text)}", op, offset);
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
            throw Error($"invalid literal for int() with base 0: {PyRepr.Repr(text)}", op, offset);
        }

        value = negative ? -value : value;
        return value >= long.MinValue && value <= long.MaxValue ? BoxInt((long)value) : value;
    }

    private object ParseFloat(ReadOnlySpan<byte> line, byte op, int offset)
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
            return PositiveNaN; // float('nan'): the quiet NaN with the sign bit clear (double.NaN has it set)
        }

        if (body.Length == 0 || !body.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or '+' or '-' or '_')
            || !double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            throw Error($"could not convert string to float: {PyRepr.Repr(text)}", op, offset);
        }

        return d;
    }

    private static readonly object PositiveNaN = BitConverter.Int64BitsToDouble(0x7FF8000000000000);

    private long ParseMemoIndex(ReadOnlySpan<byte> line, byte op, int offset)
    {
        var text = Encoding.ASCII.GetString(line).Trim();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var key))
        {
            throw Error($"invalid memo key {PyRepr.Repr(text)}", op, offset);
        }

        return key;
    }

    /// <summary>STRING's argument: a quoted repr of a Python 2 str, unescaped with codecs.escape_decode.</summary>
    private byte[] ParseQuotedString(ReadOnlySpan<byte> line, byte op, int offset)
    {
        if (line.Length < 2 || line[0] != line[^1] || line[0] is not ((byte)'\'' or (byte)'"'))
        {
            throw Error("the STRING opcode argument must be quoted", op, offset);
        }

        line = line[1..^1];
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
                throw Error("Trailing \\ in string", op, offset);
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

                    throw Error($"invalid \\x escape at position {i - 1}", op, offset);
                default:
                    output.Add((byte)'\\');
                    output.Add(c);
                    break;
            }
        }

        return output.ToArray();
    }

    /// <summary>The raw-unicode-escape codec: Latin-1 bytes, except \uXXXX and \UXXXXXXXX after an odd run of backslashes.</summary>
    private static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> line)
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

    private static bool AllHex(ReadOnlySpan<byte> s, int width)
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

    private static bool IsHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
