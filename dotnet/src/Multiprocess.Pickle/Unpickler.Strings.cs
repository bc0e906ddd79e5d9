using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <content>
/// Recently decoded short strings, reused: a manager server unpickles the same object idents and method names on
/// every request of a connection (<c>('7f3a…', '__setitem__', args, {})</c>), and a dict's keys repeat too. A hit
/// costs a hash and a compare instead of a string allocation (and its share of the gen-0 collections).
/// </content>
/// <remarks>
/// Sharing one instance between loads is invisible to callers: .NET strings are immutable and compared by value
/// (CPython interns short identifier-like strings the same way). The table is per unpickler, so per thread (the
/// unpickler is thread-cached): no locking, and at most <see cref="StringCacheSize"/> strings of up to
/// <see cref="MaxCachedStringBytes"/> ASCII characters are kept alive.
/// </remarks>
internal sealed partial class Unpickler
{
    internal const int StringCacheBits = 6;
    internal const int StringCacheSize = 1 << StringCacheBits;
    internal const int MaxCachedStringBytes = 48;

    private readonly string?[] _strings = new string?[StringCacheSize];

    /// <summary>SHORT_BINUNICODE's text: from the cache when it was decoded recently, else decoded (and cached if ASCII).</summary>
    private string DecodeShortUtf8(ReadOnlySpan<byte> bytes, byte op, int offset)
    {
        if (bytes.Length is 0 or > MaxCachedStringBytes)
        {
            return DecodeUtf8(bytes, op, offset);
        }

        var slot = StringSlot(bytes);
        var cached = _strings[slot];
        if (cached is not null && cached.Length == bytes.Length && System.Text.Ascii.Equals(bytes, cached))
        {
            return cached;
        }

        var s = DecodeUtf8(bytes, op, offset);
        if (s.Length == bytes.Length)
        {
            // ASCII (one char per byte): the only strings the compare above can match.
            _strings[slot] = s;
        }

        return s;
    }

    /// <summary>A hash of the first and last (up to) 8 bytes and the length: idents differ in their hex digits, names in their letters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int StringSlot(ReadOnlySpan<byte> bytes)
    {
        ulong head, tail;
        if (bytes.Length >= 8)
        {
            head = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            tail = BinaryPrimitives.ReadUInt64LittleEndian(bytes[^8..]);
        }
        else
        {
            Span<byte> pad = stackalloc byte[8];
            pad.Clear();
            bytes.CopyTo(pad);
            head = BinaryPrimitives.ReadUInt64LittleEndian(pad);
            tail = 0;
        }

        var h = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)bytes.Length;
        return (int)((h ^ (h >> 29)) * 0x94D049BB133111EBUL >> (64 - StringCacheBits));
    }
}
