using System.Buffers;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>Synchronous receives, and the read-ahead buffer they share with the asynchronous ones.</summary>
public sealed partial class Connection
{
    private byte[]? _receiveBuffer;
    private int _receiveStart;
    private int _receiveEnd;
    private bool _eofSeen;
    private bool _growReceiveBuffer;
    private bool _midMessage;
    private long _messagesReceived;
    private long _streamOffset;

    /// <summary>Receives one message (Python's <c>recv_bytes(maxlength)</c>), blocking until it has arrived.</summary>
    /// <param name="maxLength">
    /// The longest message accepted. A longer one is not consumed; as in CPython the stream is then out of step, so
    /// the connection stops receiving (a read-only end is closed).
    /// </param>
    /// <returns>The message.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary (Python's EOFError).</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is longer than <paramref name="maxLength"/> or than a .NET array can hold.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    public byte[] RecvBytes(int? maxLength = null) => RecvBytesCore(maxLength, Deadline.Infinite);

    /// <summary>Receives one message, waiting at most <paramref name="timeout"/> for it.</summary>
    /// <param name="maxLength">The longest message accepted (see <see cref="RecvBytes(int?)"/>).</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <returns>The message.</returns>
    /// <exception cref="TimeoutException">
    /// The message did not arrive in time. If part of its payload had been consumed the stream is out of step and
    /// the connection stops receiving; a timeout before that leaves it usable.
    /// </exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is too long.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public byte[] RecvBytes(int? maxLength, TimeSpan timeout) => RecvBytesCore(maxLength, Deadline.From(timeout));

    /// <summary>
    /// Receives one message of any length (also above 2 GiB) into <paramref name="destination"/>, which is asked
    /// for room as the payload arrives.
    /// </summary>
    /// <param name="destination">Where the payload goes.</param>
    /// <param name="maxLength">The longest message accepted (see <see cref="RecvBytes(int?)"/>).</param>
    /// <returns>The message length.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is longer than <paramref name="maxLength"/>.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public long RecvBytes(IBufferWriter<byte> destination, long? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var deadline = Deadline.Infinite;
        var transport = CheckReadable();
        var length = ReceiveHeaderChecked(transport, maxLength ?? long.MaxValue, deadline);
        ReceiveInto(transport, destination, length, deadline);
        return length;
    }

    /// <summary>Receives a payload of <paramref name="length"/> bytes (its header taken) into <paramref name="destination"/>.</summary>
    private void ReceiveInto(IConnectionTransport transport, IBufferWriter<byte> destination, long length, long deadline)
    {
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                if (remaining < length)
                {
                    // Past the first request (which the server's FrameBuffer uses to acknowledge a split write at
                    // once), room is asked for only once bytes for it have arrived.
                    AwaitPayloadBytes(transport, deadline, length);
                }

                var span = destination.GetSpan((int)Math.Min(remaining, 1 << 20));
                if (span.Length > remaining)
                {
                    span = span[..(int)remaining];
                }

                ReceivePayload(transport, span, deadline, length);
                destination.Advance(span.Length);
                remaining -= span.Length;
            }
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        CompleteMessage();
    }

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> at <paramref name="offset"/> (Python's
    /// <c>recv_bytes_into(buf, offset)</c>).
    /// </summary>
    /// <param name="buffer">The destination.</param>
    /// <param name="offset">Where in <paramref name="buffer"/> the message goes.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="BufferTooShortException">The message does not fit; it was consumed and is in <see cref="BufferTooShortException.Payload"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative or beyond the buffer.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, or a header was impossible.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public int RecvBytesInto(byte[] buffer, int offset = 0)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ValidateIntoOffset(buffer.Length, offset);
        return RecvBytesInto(buffer.AsSpan(offset));
    }

    /// <summary>Receives one message into <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The destination.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="BufferTooShortException">The message does not fit; it was consumed and is in <see cref="BufferTooShortException.Payload"/>.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, or a header was impossible.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public int RecvBytesInto(Span<byte> buffer)
    {
        var deadline = Deadline.Infinite;
        var transport = CheckReadable();
        var length = ReceiveHeaderChecked(transport, long.MaxValue, deadline);
        if (length > buffer.Length)
        {
            // connection.py recv_bytes_into: the whole message is read, then BufferTooShort(message)
            ThrowHelper.ThrowBufferTooShort(ReceiveGrowing(transport, length, deadline), buffer.Length);
        }

        ReceiveWhole(transport, buffer[..(int)length], deadline);
        return (int)length;
    }

    private static void ValidateIntoOffset(int bufferLength, int offset)
    {
        // connection.py recv_bytes_into: "negative offset" / "offset too large"
        if (offset < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"The offset is negative ({offset})");
        }

        if (offset > bufferLength)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(offset), $"The offset {offset} is beyond the buffer's {bufferLength} bytes");
        }
    }

    private byte[] RecvBytesCore(int? maxLength, long deadline)
    {
        if (maxLength < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxLength), $"The maximum length is negative ({maxLength})");
        }

        var transport = CheckReadable();
        var length = ReceiveHeaderChecked(transport, maxLength ?? long.MaxValue, deadline);
        return ReceiveGrowing(transport, length, deadline);
    }

    /// <summary>
    /// Receives a payload of <paramref name="length"/> bytes: up to <see cref="TrustedPayloadLength"/> into one array
    /// allocated at once, a longer one in chunks allocated as its bytes arrive (<see cref="PayloadChunks"/>), so a
    /// header announcing 2 GiB costs only what the peer really sends.
    /// </summary>
    private byte[] ReceiveGrowing(IConnectionTransport transport, long length, long deadline)
    {
        CheckArrayLength(length);
        byte[] payload;
        try
        {
            if (length <= TrustedPayloadLength)
            {
                payload = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
                ReceivePayload(transport, payload, deadline, length);
            }
            else
            {
                var chunks = new PayloadChunks(length);
                while (!chunks.AllAllocated)
                {
                    AwaitPayloadBytes(transport, deadline, length);
                    ReceivePayload(transport, chunks.Next(), deadline, length);
                }

                payload = chunks.Join();
            }
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        CompleteMessage();
        return payload;
    }

    /// <summary>Blocks until at least one payload byte is buffered: the bytes first, then the room for them.</summary>
    private void AwaitPayloadBytes(IConnectionTransport transport, long deadline, long length)
    {
        if (_receiveStart == _receiveEnd)
        {
            FillReceiveBuffer(transport, deadline, inHeader: false, length);
        }
    }

    /// <summary>Reads the payload into <paramref name="payload"/> (exactly its length) and completes the message.</summary>
    private void ReceiveWhole(IConnectionTransport transport, Span<byte> payload, long deadline)
    {
        try
        {
            ReceivePayload(transport, payload, deadline, payload.Length);
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        CompleteMessage();
    }

    /// <summary>Refuses a payload longer than a .NET array holds (before any of it is consumed).</summary>
    private void CheckArrayLength(long length)
    {
        if (length > Array.MaxLength)
        {
            // Not consumed, so the stream is out of step from here.
            var message = $"Message {_messagesReceived + 1} is {length} bytes, more than a .NET array holds ({Array.MaxLength}); receive it with RecvBytes(IBufferWriter<byte>)";
            AbandonMessage();
            throw new IOException(message);
        }
    }

    /// <summary>Reads a header, applies the maximum length, and marks the message in progress.</summary>
    private long ReceiveHeaderChecked(IConnectionTransport transport, long maxLength, long deadline)
    {
        long length;
        while (!TryTakeHeader(maxLength, out length))
        {
            FillReceiveBuffer(transport, deadline, inHeader: true);
        }

        return length;
    }

    /// <summary>Fills <paramref name="destination"/> entirely from the read-ahead buffer and then the transport.</summary>
    private void ReceivePayload(IConnectionTransport transport, Span<byte> destination, long deadline, long messageLength)
    {
        destination = destination[TakeBuffered(destination)..];
        while (!destination.IsEmpty)
        {
            if (destination.Length < ReadAheadThreshold)
            {
                // A short tail: read ahead, so the next header usually comes with it.
                FillReceiveBuffer(transport, deadline, inHeader: false, messageLength);
                destination = destination[TakeBuffered(destination)..];
            }
            else
            {
                var n = ReadSome(transport, destination, deadline);
                if (n == 0)
                {
                    _eofSeen = true;
                    ThrowEofInPayload(messageLength, destination.Length);
                }

                _streamOffset += n;
                destination = destination[n..];
            }
        }
    }

    /// <summary>Reads at least one more byte into the read-ahead buffer.</summary>
    private void FillReceiveBuffer(IConnectionTransport transport, long deadline, bool inHeader, long messageLength = 0)
    {
        var buffer = PrepareReceiveBuffer();
        var n = _eofSeen ? 0 : ReadSome(transport, buffer.AsSpan(_receiveEnd), deadline);
        if (n == 0)
        {
            _eofSeen = true;
            OnEndOfStream(inHeader, messageLength);
        }

        AfterFill(n);
    }

    /// <summary>Payload tails shorter than this are read through the read-ahead buffer, longer ones straight into place.</summary>
    private int ReadAheadThreshold => Math.Max(InitialReceiveBufferSize, (_receiveBuffer?.Length ?? 0) / 2);

    /// <summary>Counts a fill; a read that filled all the room there was means more is coming: grow (once) for the next.</summary>
    private void AfterFill(int n)
    {
        _growReceiveBuffer |= _receiveEnd + n == _receiveBuffer!.Length && _receiveBuffer.Length < ReceiveBufferSize;
        _receiveEnd += n;
    }

    private byte[] PrepareReceiveBuffer()
    {
        var buffer = _receiveBuffer ??= GC.AllocateUninitializedArray<byte>(InitialReceiveBufferSize);
        if (_growReceiveBuffer)
        {
            _growReceiveBuffer = false;
            var bigger = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize);
            Buffer.BlockCopy(buffer, _receiveStart, bigger, 0, _receiveEnd - _receiveStart);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
            _receiveBuffer = buffer = bigger;
        }

        if (_receiveStart == _receiveEnd)
        {
            _receiveStart = _receiveEnd = 0;
        }
        else if (_receiveStart > 0)
        {
            // Keep a partial header at the front so the rest can follow it.
            Buffer.BlockCopy(buffer, _receiveStart, buffer, 0, _receiveEnd - _receiveStart);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }

        return buffer;
    }

    /// <summary>Waits (poll before block, then the deadline) and reads once.</summary>
    private int ReadSome(IConnectionTransport transport, Span<byte> destination, long deadline)
    {
        // Inside a message (a partial header, or the payload) a stalled peer is bounded by StallTimeout.
        var stallBound = false;
        if (_stallTimeout != Timeout.InfiniteTimeSpan && (_midMessage || _receiveEnd > _receiveStart))
        {
            var stallDeadline = Deadline.From(_stallTimeout);
            if (stallDeadline < deadline)
            {
                deadline = stallDeadline;
                stallBound = true;
            }
        }

        if (!_spin.TrySpin(transport, deadline) && deadline != Deadline.Infinite && !transport.Poll(Deadline.Remaining(deadline)))
        {
            if (stallBound)
            {
                ThrowHelper.ThrowPeerStalled(_messagesReceived + 1, _midMessage, _stallTimeout);
            }

            ThrowHelper.ThrowReceiveTimeout(_messagesReceived + 1, _midMessage);
        }

        return transport.Read(destination);
    }

    private void OnEndOfStream(bool inHeader, long messageLength)
    {
        var buffered = _receiveEnd - _receiveStart;
        if (inHeader && buffered == 0)
        {
            // connection.py _recv: no bytes at all ⇒ EOFError
            ThrowHelper.ThrowEndOfStream(_messagesReceived);
        }

        if (inHeader)
        {
            ThrowHelper.ThrowEofInHeader(_messagesReceived + 1, buffered, _streamOffset);
        }

        ThrowEofInPayload(messageLength, -1);
    }

    private void ThrowEofInPayload(long messageLength, int missing)
    {
        _readable = false;
        _unreadableReason = "The peer closed the connection in the middle of a message";
        ThrowHelper.ThrowEofInPayload(_messagesReceived + 1, messageLength, missing);
    }

    private ReadOnlySpan<byte> BufferedSpan =>
        _receiveBuffer is null ? default : new ReadOnlySpan<byte>(_receiveBuffer, _receiveStart, _receiveEnd - _receiveStart);

    private void Consume(int count)
    {
        _receiveStart += count;
        _streamOffset += count;
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _receiveEnd - _receiveStart);
        if (n > 0)
        {
            _receiveBuffer.AsSpan(_receiveStart, n).CopyTo(destination);
            Consume(n);
        }

        return n;
    }

    private void CompleteMessage()
    {
        _midMessage = false;
        _messagesReceived++;
    }

    /// <summary>A receive failed after its header was consumed: the stream is out of step from here.</summary>
    private void AbandonMessage()
    {
        if (_midMessage)
        {
            _midMessage = false;
            if (_readable)
            {
                MarkUnreadable($"A receive of message {_messagesReceived + 1} was interrupted after part of it was consumed; the stream is no longer on a message boundary");
            }
        }
    }
}
