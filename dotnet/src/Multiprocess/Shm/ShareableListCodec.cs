using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using Multiprocess.Internal;

namespace Multiprocess.Shm;

/// <summary>
/// The bytes of a <c>ShareableList</c> (protocols.md §6.2–§6.3), as pure functions over a buffer. All integers are
/// native little-endian, every slot a multiple of 8:
/// <code>
///   0            q      n
///   8            q×(n+1) offsets[0..n] of each slot from the data start (3.9+)   |  q×n slot sizes (3.8)
///   data start   Σslot  item values, item i at data start + offsets[i]
///   + offsets[n] 8s×n   struct format of each item, NUL-padded ('q', 'd', 'xxxxxxx?', 'xxxxxx?x', '16s')
///   + 8n         b×n    back-transform code of each item: 0 as is, 1 str, 2 bytes, 3 None
/// </code>
/// </summary>
internal static class ShareableListCodec
{
    /// <summary>Slot alignment and the size of every non-str/bytes slot.</summary>
    internal const int Alignment = 8;

    /// <summary>The struct formats are stored in 8-byte fields, so no format may be longer (CPython asserts it).</summary>
    internal const int MaxFormatLength = 8;

    internal const string IntFormat = "q";
    internal const string FloatFormat = "d";
    internal const string BoolFormat = "xxxxxxx?";
    internal const string NoneFormat = "xxxxxx?x";

    internal const sbyte CodeAsIs = 0;
    internal const sbyte CodeStr = 1;
    internal const sbyte CodeBytes = 2;
    internal const sbyte CodeNone = 3;

    /// <summary>Strict UTF-8 both ways, as CPython's <c>encode('utf8')</c> / <c>decode('utf8')</c>.</summary>
    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Turns a C# value into one of the six stored kinds: long, double, bool, null, string or byte[].</summary>
    /// <exception cref="ArgumentException">The type has no ShareableList format (CPython: KeyError).</exception>
    /// <exception cref="OverflowException">An integer outside int64 (CPython: struct.error).</exception>
    internal static object? Normalize(object? value, int index) => value switch
    {
        null => null,
        bool b => b,
        long l => l,
        int i => (long)i,
        short s => (long)s,
        sbyte sb => (long)sb,
        byte by => (long)by,
        ushort us => (long)us,
        uint ui => (long)ui,
        ulong ul => ul <= long.MaxValue ? (long)ul : throw OutOfRange(ul.ToString(CultureInfo.InvariantCulture), index),
        BigInteger bi => bi >= long.MinValue && bi <= long.MaxValue ? (long)bi : throw OutOfRange(bi.ToString(CultureInfo.InvariantCulture), index),
        double d => d,
        float f => (double)f,
        string str => str,
        byte[] bytes => bytes,
        ReadOnlyMemory<byte> rom => rom.ToArray(),
        Memory<byte> mem => mem.ToArray(),
        ArraySegment<byte> seg => seg.ToArray(),
        _ => throw new ArgumentException(
            $"item {index}: a ShareableList cannot hold a {value.GetType()} (only int/long, float/double, bool, None/null, "
            + "str/string and bytes/byte[])",
            nameof(value)),
    };

    /// <summary>The struct format and back-transform code of a normalized value at creation time.</summary>
    /// <exception cref="ArgumentException">A str or bytes item is too long for an 8-character format.</exception>
    internal static (string Format, sbyte Code) FormatOf(object? value, int index)
    {
        switch (value)
        {
            case string s:
                return (StrFormat(CodePoints(s), index, "str of", "characters"), CodeStr);
            case byte[] b:
                return (StrFormat(b.Length, index, "bytes of", "bytes"), CodeBytes);
            default:
                return (ScalarFormat(value), value is null ? CodeNone : CodeAsIs);
        }
    }

    /// <summary>The slot a format takes: 8, or the width of an <c>Ns</c> format.</summary>
    internal static int SlotOf(string format) => format[^1] != 's' ? Alignment : ParseWidth(format);

    /// <summary>Plans a new list: formats, codes, the header, and the segment size to request.</summary>
    internal static (ShareableListHeader Header, string[] Formats, sbyte[] Codes) Plan(IReadOnlyList<object?> items, ShareableListLayout layout)
    {
        var n = items.Count;
        var formats = new string[n];
        var codes = new sbyte[n];
        var offsets = new long[n + 1];
        for (var i = 0; i < n; i++)
        {
            (formats[i], codes[i]) = FormatOf(items[i], i);
            offsets[i + 1] = offsets[i] + SlotOf(formats[i]);
        }

        return (new ShareableListHeader(layout, n, offsets), formats, codes);
    }

    /// <summary>Writes a planned list into a fresh segment: header, values, formats, codes (CPython's order).</summary>
    internal static void WriteNew(Span<byte> buffer, ShareableListHeader header, IReadOnlyList<object?> items, string[] formats, sbyte[] codes)
    {
        // 'q' n, then (3.9+) n + 1 offsets or (3.8) n slot sizes.
        BinaryPrimitives.WriteInt64LittleEndian(buffer, header.Count);
        for (var i = 0; i < header.Count + (header.Layout == ShareableListLayout.Offsets ? 1 : 0); i++)
        {
            var word = header.Layout == ShareableListLayout.Offsets ? header.Offsets[i] : header.SlotSize(i);
            BinaryPrimitives.WriteInt64LittleEndian(buffer[(8 + (8 * i))..], word);
        }

        for (var i = 0; i < header.Count; i++)
        {
            WriteValue(buffer, header, i, formats[i], items[i]);
            WriteFormatAndCode(buffer, header, i, formats[i], codes[i]);
        }
    }

    /// <summary>Reads and checks the fixed part of a list (count and slots): these never change after creation.</summary>
    /// <exception cref="InvalidDataException">The header does not describe a list that fits the buffer.</exception>
    internal static ShareableListHeader ReadHeader(ReadOnlySpan<byte> buffer, ShareableListLayout layout)
    {
        if (buffer.Length < 8)
        {
            throw new InvalidDataException($"a ShareableList needs at least 8 bytes; the segment has {buffer.Length}");
        }

        var n = BinaryPrimitives.ReadInt64LittleEndian(buffer);
        var words = layout == ShareableListLayout.Offsets ? n + 1 : n;
        if (n < 0 || n > (buffer.Length - 8) / 8 || 8 + (8 * words) > buffer.Length)
        {
            throw new InvalidDataException(
                $"item count {n} at offset 0 does not fit a segment of {buffer.Length} bytes ({layout} layout)");
        }

        var offsets = new long[n + 1];
        for (var i = 0; i < n; i++)
        {
            var at = 8 + (8 * i);
            if (layout == ShareableListLayout.Offsets)
            {
                offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(buffer[at..]);
                offsets[i + 1] = BinaryPrimitives.ReadInt64LittleEndian(buffer[(at + 8)..]);
            }
            else
            {
                var size = BinaryPrimitives.ReadInt64LittleEndian(buffer[at..]);
                offsets[i + 1] = size < 0 ? -1 : offsets[i] + size;
            }

            if (offsets[i + 1] < offsets[i] || offsets[i + 1] > buffer.Length)
            {
                throw new InvalidDataException(
                    $"slot {i} ends at {offsets[i + 1]}, before it starts ({offsets[i]}) or past the segment ({buffer.Length} bytes); header word at offset {at}");
            }
        }

        if (layout == ShareableListLayout.Offsets && BinaryPrimitives.ReadInt64LittleEndian(buffer[8..]) != 0)
        {
            throw new InvalidDataException(
                $"the first slot offset (at byte 8) is {BinaryPrimitives.ReadInt64LittleEndian(buffer[8..])}, not 0: not a 3.9+ ShareableList");
        }

        var header = new ShareableListHeader(layout, (int)n, offsets);
        if (header.RequiredSize > buffer.Length)
        {
            throw new InvalidDataException(
                $"a list of {n} items with {offsets[n]} bytes of slots needs {header.RequiredSize} bytes; the segment has {buffer.Length}");
        }

        return header;
    }

    /// <summary>Tells the layouts apart: a 3.9+ header's word at byte 8 is offsets[0] = 0; a 3.8 header's is the first
    /// slot size (≥ 8). An empty list reads the same either way; a 3.8 empty list is 8 bytes, a 3.9+ one 16.</summary>
    internal static ShareableListLayout Detect(ReadOnlySpan<byte> buffer) =>
        buffer.Length >= 16 && BinaryPrimitives.ReadInt64LittleEndian(buffer[8..]) == 0
            ? ShareableListLayout.Offsets
            : ShareableListLayout.Sizes;

    /// <summary>The stored struct format of item <paramref name="index"/> (<c>v.rstrip(b'\0').decode()</c>).</summary>
    internal static string ReadFormat(ReadOnlySpan<byte> buffer, ShareableListHeader header, int index)
    {
        var field = buffer.Slice((int)header.FormatOffset(index), MaxFormatLength);
        var end = field.Length;
        while (end > 0 && field[end - 1] == 0)
        {
            end--;
        }

        return Encoding.ASCII.GetString(field[..end]);
    }

    /// <summary>Reads item <paramref name="index"/> with its stored format and back-transform code.</summary>
    /// <exception cref="InvalidDataException">The stored format or code is not one CPython writes, or the value does not
    /// fit the segment.</exception>
    /// <exception cref="DecoderFallbackException">A str item is not valid UTF-8 (e.g. truncated mid-character, which
    /// CPython's character-count slot sizing allows).</exception>
    internal static object? ReadItem(ReadOnlySpan<byte> buffer, ShareableListHeader header, int index)
    {
        var format = ReadFormat(buffer, header, index);
        var code = (sbyte)buffer[(int)header.CodeOffset(index)];
        var at = header.ItemOffset(index);
        var width = FormatWidth(format, index, at);
        if (at + width > buffer.Length)
        {
            throw new InvalidDataException($"item {index} ('{format}' at offset {at}) runs past the segment ({buffer.Length} bytes)");
        }

        var slot = buffer.Slice((int)at, width);
        object? value = format switch
        {
            IntFormat => BinaryPrimitives.ReadInt64LittleEndian(slot),
            FloatFormat => BinaryPrimitives.ReadDoubleLittleEndian(slot),
            BoolFormat => slot[7] != 0,
            NoneFormat => slot[6] != 0,
            _ => slot.ToArray(),
        };

        return code switch
        {
            CodeAsIs => value,
            CodeStr when value is byte[] b => Utf8.GetString(StripNuls(b)),
            CodeBytes when value is byte[] b => StripNuls(b).ToArray(),
            CodeNone => null,
            _ => throw new InvalidDataException(
                $"item {index}: back-transform code {code} (at offset {header.CodeOffset(index)}) does not apply to format '{format}'"),
        };
    }

    /// <summary>Assigns item <paramref name="index"/> (CPython <c>__setitem__</c>): scalars take their own 8-byte format;
    /// str and bytes must fit the slot and keep an <c>Ns</c> format of the slot's width.</summary>
    /// <exception cref="ArgumentException">A str/bytes value does not fit the slot ("bytes/str item exceeds available
    /// storage").</exception>
    internal static void WriteItem(Span<byte> buffer, ShareableListHeader header, int index, object? value)
    {
        string format;
        if (value is string or byte[])
        {
            var allocated = header.SlotSize(index);
            var length = value is string s ? Utf8.GetByteCount(s) : ((byte[])value).Length;
            if (length > allocated)
            {
                throw new ArgumentException(
                    $"bytes/str item exceeds available storage: item {index} needs {length} bytes, its slot has {allocated}",
                    nameof(value));
            }

            var current = ReadFormat(buffer, header, index);
            format = current.EndsWith('s') ? current : allocated.ToString(CultureInfo.InvariantCulture) + "s";
        }
        else
        {
            format = ScalarFormat(value);
        }

        var code = value switch
        {
            string => CodeStr,
            byte[] => CodeBytes,
            null => CodeNone,
            _ => CodeAsIs,
        };
        WriteFormatAndCode(buffer, header, index, format, code);
        WriteValue(buffer, header, index, format, value);
    }

    /// <summary>Checks what <see cref="ReadHeader"/> does not: the exact size CPython requests, 8-aligned slots of at
    /// least 8 bytes, and a known format and fitting code for every item. Returns why not, or null.</summary>
    internal static string? Validate(ReadOnlySpan<byte> buffer, ShareableListHeader header)
    {
        if (header.RequiredSize != buffer.Length)
        {
            return $"a list of {header.Count} items takes {header.RequiredSize} bytes, but the segment has {buffer.Length}";
        }

        for (var i = 0; i < header.Count; i++)
        {
            var slot = header.SlotSize(i);
            if (slot < Alignment || slot % Alignment != 0)
            {
                return $"slot {i} is {slot} bytes, not a positive multiple of {Alignment}";
            }

            var format = ReadFormat(buffer, header, i);
            var code = (sbyte)buffer[(int)header.CodeOffset(i)];
            var known = format switch
            {
                IntFormat or FloatFormat or BoolFormat => code == CodeAsIs,
                NoneFormat => code is CodeNone or CodeAsIs,
                _ => format.EndsWith('s') && format.Length > 1 && format[..^1].All(char.IsAsciiDigit)
                     && ParseWidth(format) <= slot && code is CodeStr or CodeBytes or CodeAsIs,
            };
            if (!known)
            {
                return $"item {i} has struct format {PyRepr.Str(format)} with back-transform code {code} (at offset {header.CodeOffset(i)})";
            }
        }

        return null;
    }

    /// <summary>The number of code points, which is what CPython's <c>len(str)</c> sizes str slots by.</summary>
    internal static int CodePoints(string s)
    {
        var n = s.Length;
        for (var i = 0; i + 1 < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                n--;
                i++;
            }
        }

        return n;
    }

    private static void WriteFormatAndCode(Span<byte> buffer, ShareableListHeader header, int index, string format, sbyte code)
    {
        // struct '8s': the format's bytes, truncated or NUL-padded to 8.
        var field = buffer.Slice((int)header.FormatOffset(index), MaxFormatLength);
        field.Clear();
        var ascii = Encoding.ASCII.GetBytes(format);
        ascii.AsSpan(0, Math.Min(ascii.Length, MaxFormatLength)).CopyTo(field);
        buffer[(int)header.CodeOffset(index)] = (byte)code;
    }

    private static void WriteValue(Span<byte> buffer, ShareableListHeader header, int index, string format, object? value)
    {
        var at = header.ItemOffset(index);
        var width = FormatWidth(format, index, at);
        if (at + width > buffer.Length)
        {
            throw new InvalidDataException($"item {index} ('{format}' at offset {at}) runs past the segment ({buffer.Length} bytes)");
        }

        var slot = buffer.Slice((int)at, width);
        switch (value)
        {
            case long l:
                BinaryPrimitives.WriteInt64LittleEndian(slot, l);
                break;
            case double d:
                BinaryPrimitives.WriteDoubleLittleEndian(slot, d);
                break;
            case bool b:
                // 'xxxxxxx?': seven pad bytes (written as zeros), then the bool.
                slot.Clear();
                slot[7] = b ? (byte)1 : (byte)0;
                break;
            case null:
                // 'xxxxxx?x' with None: '?' packs False; every byte zero.
                slot.Clear();
                break;
            default:
                // struct 'Ns': the bytes truncated or NUL-padded to N (truncation happens when a non-ASCII str was
                // sized by its character count at creation).
                var bytes = value is string s ? Utf8.GetBytes(s) : (byte[])value;
                slot.Clear();
                bytes.AsSpan(0, Math.Min(bytes.Length, width)).CopyTo(slot);
                break;
        }
    }

    private static string ScalarFormat(object? value) => value switch
    {
        null => NoneFormat,
        bool => BoolFormat,
        long => IntFormat,
        double => FloatFormat,
        _ => throw new ArgumentException($"no scalar format for {value.GetType()}", nameof(value)),
    };

    private static string StrFormat(int length, int index, string what, string unit)
    {
        // '%ds' % (8 * (len // 8 + 1)): always at least one NUL of room.
        var slot = (long)Alignment * ((length / Alignment) + 1);
        var format = slot.ToString(CultureInfo.InvariantCulture) + "s";
        if (format.Length > MaxFormatLength)
        {
            throw new ArgumentException(
                $"item {index}: a {what} {length} {unit} needs format '{format}', longer than {MaxFormatLength} characters "
                + "(at most 9999991 characters or bytes fit one item)",
                nameof(length));
        }

        return format;
    }

    private static int FormatWidth(string format, int index, long at) => format switch
    {
        IntFormat or FloatFormat or BoolFormat or NoneFormat => Alignment,
        _ when format.EndsWith('s') && (format.Length == 1 || format[..^1].All(char.IsAsciiDigit)) => ParseWidth(format),
        _ => throw new InvalidDataException(
            $"item {index} (slot at offset {at}) has struct format {PyRepr.Str(format)}, which CPython's ShareableList never writes"),
    };

    private static int ParseWidth(string format) =>
        format.Length == 1 ? 1 : int.Parse(format.AsSpan(0, format.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);

    private static ReadOnlySpan<byte> StripNuls(byte[] b)
    {
        var end = b.Length;
        while (end > 0 && b[end - 1] == 0)
        {
            end--;
        }

        return b.AsSpan(0, end);
    }

    private static OverflowException OutOfRange(string value, int index) =>
        new($"item {index}: {value} is out of range: 'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
}
