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
        try
        {
            var value = PickleText.ParseInt(line, _security.MaxIntegerDigits);
            return value is long l ? BoxInt(l) : value;
        }
        catch (FormatException e)
        {
            throw Error(e.Message, op, offset);
        }
    }

    private object ParseFloat(ReadOnlySpan<byte> line, byte op, int offset)
    {
        try
        {
            return PickleText.ParseFloat(line);
        }
        catch (FormatException e)
        {
            throw Error(e.Message, op, offset);
        }
    }

    private long ParseMemoIndex(ReadOnlySpan<byte> line, byte op, int offset)
    {
        var text = Encoding.ASCII.GetString(line).Trim();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var key))
        {
            throw Error($"invalid memo key {PyRepr.Repr(text)}", op, offset);
        }

        return key;
    }

    private byte[] ParseQuotedString(ReadOnlySpan<byte> line, byte op, int offset)
    {
        try
        {
            return PickleText.UnquoteString(line);
        }
        catch (FormatException e)
        {
            throw Error(e.Message, op, offset);
        }
    }

    private static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> line) => PickleText.DecodeRawUnicodeEscape(line);
}
