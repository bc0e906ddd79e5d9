using System.Buffers;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>Sends: one frame per call, header and small payloads in one write.</summary>
public sealed partial class Connection
{
    private byte[]? _sendBuffer;

    /// <summary>Sends <paramref name="buffer"/> as one message (Python's <c>send_bytes(buf)</c>).</summary>
    /// <param name="buffer">The message; it may be empty.</param>
    /// <exception cref="IOException">The OS reported an error (e.g. the peer closed).</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public void SendBytes(ReadOnlySpan<byte> buffer)
    {
        // connection.py _send_bytes: header + payload in one write when small (Issue #20540, Nagle)
        var transport = CheckWritable();
        if (buffer.Length <= SmallMessageLimit)
        {
            var frame = SendBuffer(buffer.Length);
            var headerLength = Framing.WriteHeader(frame, buffer.Length);
            buffer.CopyTo(frame.AsSpan(headerLength));
            transport.Write(frame.AsSpan(0, headerLength + buffer.Length)); // 4-byte header + payload
        }
        else
        {
            Span<byte> header = stackalloc byte[Framing.LongHeaderLength];
            transport.Write(header[..Framing.WriteHeader(header, buffer.Length)]);
            transport.Write(buffer);
        }
    }

    /// <summary>
    /// Sends the message <paramref name="frame"/> holds, its header written into the room in front of the payload:
    /// one write of header and payload whatever the size, nothing copied. A manager server's replies go so.
    /// </summary>
    /// <param name="frame">The payload, written behind <see cref="FrameWriter.HeaderRoom"/>.</param>
    /// <exception cref="IOException">The OS reported an error (e.g. the peer closed, or SO_SNDTIMEO expired).</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    internal void SendFrame(FrameWriter frame)
    {
        var transport = CheckWritable();
        var bytes = frame.Frame();
        if (transport is SocketTransport socket)
        {
            socket.WriteDirect(bytes);
        }
        else
        {
            transport.Write(bytes);
        }
    }

    /// <summary>
    /// Sends <paramref name="size"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> as one message
    /// (Python's <c>send_bytes(buf, offset, size)</c>).
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Where the message starts.</param>
    /// <param name="size">How many bytes; <see langword="null"/> sends the rest of the buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="size"/> is negative or runs past the buffer.</exception>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public void SendBytes(byte[] buffer, int offset = 0, int? size = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        SendBytes(buffer.AsSpan(offset, ValidateSendRange(buffer.Length, offset, size)));
    }

    /// <summary>Sends a message of any length (also above 2 GiB, as the 12-byte header) made of the sequence's segments.</summary>
    /// <param name="buffer">The message.</param>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public void SendBytes(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            SendBytes(buffer.FirstSpan);
            return;
        }

        var transport = CheckWritable();
        if (buffer.Length <= SmallMessageLimit)
        {
            var frame = SendBuffer((int)buffer.Length);
            var headerLength = Framing.WriteHeader(frame, buffer.Length);
            buffer.CopyTo(frame.AsSpan(headerLength));
            transport.Write(frame.AsSpan(0, headerLength + (int)buffer.Length));
            return;
        }

        Span<byte> header = stackalloc byte[Framing.LongHeaderLength];
        transport.Write(header[..Framing.WriteHeader(header, buffer.Length)]);
        foreach (var segment in buffer)
        {
            transport.Write(segment.Span);
        }
    }

    /// <summary>Sends <paramref name="buffer"/> as one message, asynchronously.</summary>
    /// <param name="buffer">The message.</param>
    /// <param name="cancellationToken">Cancels the write; a message cut short leaves the stream unusable.</param>
    /// <returns>A task that completes when the message was handed to the OS.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public async ValueTask SendBytesAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var transport = CheckWritable();
        if (buffer.Length <= SmallMessageLimit)
        {
            var frame = SendBuffer(buffer.Length);
            var headerLength = Framing.WriteHeader(frame, buffer.Length);
            buffer.Span.CopyTo(frame.AsSpan(headerLength));
            await transport.WriteAsync(frame.AsMemory(0, headerLength + buffer.Length), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await transport.WriteAsync(Header(buffer.Length), cancellationToken).ConfigureAwait(false);
            await transport.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends part of <paramref name="buffer"/> as one message, asynchronously (Python's <c>send_bytes(buf, offset, size)</c>).</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="offset">Where the message starts.</param>
    /// <param name="size">How many bytes; <see langword="null"/> sends the rest of the buffer.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the message was handed to the OS.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="size"/> is negative or runs past the buffer.</exception>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public ValueTask SendBytesAsync(byte[] buffer, int offset = 0, int? size = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return SendBytesAsync(buffer.AsMemory(offset, ValidateSendRange(buffer.Length, offset, size)), cancellationToken);
    }

    /// <summary>Sends a message of any length made of the sequence's segments, asynchronously.</summary>
    /// <param name="buffer">The message.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the message was handed to the OS.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is read-only.</exception>
    public async ValueTask SendBytesAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsSingleSegment)
        {
            await SendBytesAsync(buffer.First, cancellationToken).ConfigureAwait(false);
            return;
        }

        var transport = CheckWritable();
        await transport.WriteAsync(Header(buffer.Length), cancellationToken).ConfigureAwait(false);
        foreach (var segment in buffer)
        {
            await transport.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Room for a header and <paramref name="payloadLength"/> (≤ 16 KiB) bytes: grows by doubling from 512, so short-lived connections stay small.</summary>
    private byte[] SendBuffer(int payloadLength)
    {
        var needed = Framing.ShortHeaderLength + payloadLength;
        var buffer = _sendBuffer;
        if (buffer is null || buffer.Length < needed)
        {
            var size = Math.Max(needed, Math.Min(Math.Max(512, (buffer?.Length ?? 0) * 2), Framing.LongHeaderLength + SmallMessageLimit));
            _sendBuffer = buffer = GC.AllocateUninitializedArray<byte>(size);
        }

        return buffer;
    }

    private static byte[] Header(long length)
    {
        var header = new byte[Framing.GetHeaderLength(length)];
        Framing.WriteHeader(header, length);
        return header;
    }

    private static int ValidateSendRange(int length, int offset, int? size)
    {
        // connection.py send_bytes: the same checks, the same order
        if (offset < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"The offset is negative ({offset})");
        }

        if (length < offset)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"The buffer length {length} is less than the offset {offset}");
        }

        if (size is null)
        {
            return length - offset;
        }

        if (size < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size), $"The size is negative ({size})");
        }

        if ((long)offset + size.Value > length)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(size), $"The buffer length {length} is less than offset + size ({offset} + {size})");
        }

        return size.Value;
    }
}
