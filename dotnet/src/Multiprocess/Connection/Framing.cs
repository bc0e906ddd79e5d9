using System.Buffers;
using System.Buffers.Binary;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// CPython's message framing on a POSIX <c>Connection</c> (docs/protocols.md §1.2), as pure functions over buffers:
/// every message is a header then the payload, nothing else on the stream.
/// <code>
/// n ≤ 0x7FFFFFFF : !i n                  (4 bytes, big-endian signed)
/// n > 0x7FFFFFFF : !i -1, then !Q n      (12 bytes; 3.8+)
/// </code>
/// Readers are <c>TryRead*</c>: they return <see langword="false"/> when the input is incomplete and throw
/// <see cref="IOException"/> only for a header no CPython could have written.
/// </summary>
public static class Framing
{
    /// <summary>The length of the usual header: <c>!i n</c>.</summary>
    public const int ShortHeaderLength = 4;

    /// <summary>The length of the escaped header: <c>!i -1</c> then <c>!Q n</c>.</summary>
    public const int LongHeaderLength = 12;

    /// <summary>The largest payload that gets the 4-byte header (0x7FFFFFFF); anything longer is escaped.</summary>
    public const long MaxShortPayload = int.MaxValue;

    /// <summary>How many header bytes a payload of <paramref name="payloadLength"/> bytes gets.</summary>
    /// <param name="payloadLength">The payload length in bytes.</param>
    /// <returns>4 or 12.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static int GetHeaderLength(long payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return payloadLength > MaxShortPayload ? LongHeaderLength : ShortHeaderLength;
    }

    /// <summary>Writes the header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    /// <param name="destination">At least <see cref="GetHeaderLength"/> bytes.</param>
    /// <param name="payloadLength">The payload length in bytes.</param>
    /// <returns>The number of bytes written (4 or 12).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteHeader(Span<byte> destination, long payloadLength)
    {
        // connection.py _send_bytes: !i n, or !i -1 then !Q n when n > 0x7fffffff
        var headerLength = GetHeaderLength(payloadLength);
        if (destination.Length < headerLength)
        {
            ThrowHelper.ThrowArgument(nameof(destination), $"A header for {payloadLength} bytes needs {headerLength} bytes of room; the destination has {destination.Length}");
        }

        if (headerLength == ShortHeaderLength)
        {
            BinaryPrimitives.WriteInt32BigEndian(destination, (int)payloadLength);
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(destination, -1);                     // bytes 0..3: the escape
            BinaryPrimitives.WriteUInt64BigEndian(destination[4..], (ulong)payloadLength); // bytes 4..11: !Q n
        }

        return headerLength;
    }

    /// <summary>Writes the header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    /// <param name="writer">Where the header goes.</param>
    /// <param name="payloadLength">The payload length in bytes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static void WriteHeader(IBufferWriter<byte> writer, long payloadLength)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var written = WriteHeader(writer.GetSpan(LongHeaderLength), payloadLength);
        writer.Advance(written);
    }

    /// <summary>Writes one whole frame: header then payload.</summary>
    /// <param name="writer">Where the frame goes.</param>
    /// <param name="payload">The message.</param>
    public static void WriteFrame(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
    {
        WriteHeader(writer, payload.Length);
        writer.Write(payload);
    }

    /// <summary>Writes one whole frame whose payload may exceed 2 GiB: header then every segment.</summary>
    /// <param name="writer">Where the frame goes.</param>
    /// <param name="payload">The message.</param>
    public static void WriteFrame(IBufferWriter<byte> writer, in ReadOnlySequence<byte> payload)
    {
        WriteHeader(writer, payload.Length);
        foreach (var segment in payload)
        {
            writer.Write(segment.Span);
        }
    }

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Received bytes, starting at a frame boundary.</param>
    /// <param name="payloadLength">The payload length the header announces.</param>
    /// <param name="headerLength">How many bytes the header took (4 or 12).</param>
    /// <returns><see langword="false"/> if <paramref name="buffer"/> does not hold the whole header yet.</returns>
    /// <exception cref="IOException">The header announces a length no sender can produce.</exception>
    public static bool TryReadHeader(ReadOnlySpan<byte> buffer, out long payloadLength, out int headerLength)
    {
        // connection.py _recv_bytes: size = !i; if size == -1: size = !Q
        payloadLength = 0;
        headerLength = 0;
        if (buffer.Length < ShortHeaderLength)
        {
            return false;
        }

        var size = BinaryPrimitives.ReadInt32BigEndian(buffer);
        if (size >= 0)
        {
            payloadLength = size;
            headerLength = ShortHeaderLength;
            return true;
        }

        if (size != -1)
        {
            ThrowHelper.ThrowBadHeader(size);
        }

        if (buffer.Length < LongHeaderLength)
        {
            return false;
        }

        var longSize = BinaryPrimitives.ReadUInt64BigEndian(buffer[ShortHeaderLength..]);
        if (longSize > long.MaxValue)
        {
            ThrowHelper.ThrowBadLongHeader(longSize);
        }

        payloadLength = (long)longSize;
        headerLength = LongHeaderLength;
        return true;
    }

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/>, which may span segments.</summary>
    /// <param name="buffer">Received bytes, starting at a frame boundary.</param>
    /// <param name="payloadLength">The payload length the header announces.</param>
    /// <param name="headerLength">How many bytes the header took (4 or 12).</param>
    /// <returns><see langword="false"/> if <paramref name="buffer"/> does not hold the whole header yet.</returns>
    /// <exception cref="IOException">The header announces a length no sender can produce.</exception>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out long payloadLength, out int headerLength)
    {
        if (buffer.FirstSpan.Length >= LongHeaderLength || buffer.IsSingleSegment)
        {
            return TryReadHeader(buffer.FirstSpan, out payloadLength, out headerLength);
        }

        Span<byte> header = stackalloc byte[LongHeaderLength];
        var available = (int)Math.Min(buffer.Length, LongHeaderLength);
        buffer.Slice(0, available).CopyTo(header);
        return TryReadHeader(header[..available], out payloadLength, out headerLength);
    }

    /// <summary>
    /// Reads one whole frame from the start of <paramref name="buffer"/> and, on success, advances
    /// <paramref name="buffer"/> past it.
    /// </summary>
    /// <param name="buffer">Received bytes, starting at a frame boundary.</param>
    /// <param name="payload">The message (a slice of <paramref name="buffer"/>).</param>
    /// <param name="maxLength">The longest payload accepted (CPython's <c>maxlength</c>).</param>
    /// <returns><see langword="false"/> if the frame is not complete yet.</returns>
    /// <exception cref="IOException">The header is impossible, or announces more than <paramref name="maxLength"/> bytes.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload, long maxLength = long.MaxValue)
    {
        payload = default;
        if (!TryReadHeader(buffer, out var length, out var headerLength))
        {
            return false;
        }

        if (length > maxLength)
        {
            ThrowHelper.ThrowBadMessageLength(length, maxLength);
        }

        if (buffer.Length - headerLength < length)
        {
            return false;
        }

        payload = buffer.Slice(headerLength, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }
}
