using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Multiprocess.Pickle.Internal;

/// <summary>
/// UTF-8 with Python's 'surrogatepass' error handler, which pickle uses for str: a lone surrogate travels as its
/// 3-byte "UTF-8" form (ED A0 80 … ED BF BF). The fast paths are the runtime's vectorized strict codecs; the
/// slow paths run only when a lone surrogate is actually present.
/// </summary>
internal static class PyUtf8
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bytes needed for <paramref name="s"/>: a lone surrogate counts 3, as the replacement char does in the runtime's count.</summary>
    public static int GetByteCount(string s) => Encoding.UTF8.GetByteCount(s);

    /// <summary>Encodes into <paramref name="destination"/>, which has exactly <see cref="GetByteCount"/> bytes.</summary>
    public static void Encode(ReadOnlySpan<char> s, Span<byte> destination)
    {
        var status = Utf8.FromUtf16(s, destination, out var read, out var written, replaceInvalidSequences: false);
        if (status == OperationStatus.Done)
        {
            return;
        }

        EncodeSlow(s[read..], destination[written..]);
    }

    private static void EncodeSlow(ReadOnlySpan<char> s, Span<byte> destination)
    {
        var o = 0;
        for (var i = 0; i < s.Length; i++)
        {
            int c = s[i];
            if (c < 0x80)
            {
                destination[o++] = (byte)c;
            }
            else if (c < 0x800)
            {
                destination[o++] = (byte)(0xC0 | (c >> 6));
                destination[o++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (char.IsHighSurrogate((char)c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                var cp = char.ConvertToUtf32((char)c, s[++i]);
                destination[o++] = (byte)(0xF0 | (cp >> 18));
                destination[o++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                destination[o++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                destination[o++] = (byte)(0x80 | (cp & 0x3F));
            }
            else
            {
                // BMP char, or a lone surrogate written as-is ('surrogatepass').
                destination[o++] = (byte)(0xE0 | (c >> 12));
                destination[o++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                destination[o++] = (byte)(0x80 | (c & 0x3F));
            }
        }
    }

    /// <summary>Decodes strict UTF-8 plus encoded surrogates; returns false on anything else invalid.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string value)
    {
        if (bytes.Length == 0)
        {
            value = "";
            return true;
        }

        try
        {
            value = s_strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return TryDecodeSlow(bytes, out value);
        }
    }

    private static bool TryDecodeSlow(ReadOnlySpan<byte> bytes, out string value)
    {
        var chars = new char[bytes.Length];
        var n = 0;
        var i = 0;
        while (i < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[i..], out var rune, out var used);
            if (status == OperationStatus.Done)
            {
                n += rune.EncodeToUtf16(chars.AsSpan(n));
                i += used;
                continue;
            }

            // ED A0..BF 80..BF is a surrogate code unit U+D800..U+DFFF in 3-byte form.
            if (i + 2 < bytes.Length && bytes[i] == 0xED && bytes[i + 1] is >= 0xA0 and <= 0xBF && bytes[i + 2] is >= 0x80 and <= 0xBF)
            {
                chars[n++] = (char)(0xD000 | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F));
                i += 3;
                continue;
            }

            value = "";
            return false;
        }

        value = new string(chars, 0, n);
        return true;
    }
}
