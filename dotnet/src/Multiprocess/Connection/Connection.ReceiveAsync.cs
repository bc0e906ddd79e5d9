using System.Buffers;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// Asynchronous receives. Cancelling one before any of a message's payload was consumed leaves the connection
/// usable (a partial header stays in the read-ahead buffer); cancelling later puts the stream out of step, so the
/// connection stops receiving.
/// </summary>
public sealed partial class Connection
{
    /// <summary>Receives one message asynchronously (Python's <c>recv_bytes(maxlength)</c>).</summary>
    /// <param name="maxLength">The longest message accepted (see <see cref="RecvBytes(int?)"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is too long.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public async ValueTask<byte[]> RecvBytesAsync(int? maxLength = null, CancellationToken cancellationToken = default)
    {
        if (maxLength < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxLength), $"The maximum length is negative ({maxLength})");
        }

        var transport = CheckReadable();
        var length = await ReceiveHeaderCheckedAsync(transport, maxLength ?? long.MaxValue, cancellationToken).ConfigureAwait(false);
        return await ReceiveGrowingAsync(transport, length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Receives one message of any length asynchronously into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the payload goes.</param>
    /// <param name="maxLength">The longest message accepted.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is too long.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public async ValueTask<long> RecvBytesAsync(IBufferWriter<byte> destination, long? maxLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var transport = CheckReadable();
        var length = await ReceiveHeaderCheckedAsync(transport, maxLength ?? long.MaxValue, cancellationToken).ConfigureAwait(false);
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                if (remaining < length)
                {
                    await AwaitPayloadBytesAsync(transport, length, cancellationToken).ConfigureAwait(false);
                }

                var memory = destination.GetMemory((int)Math.Min(remaining, 1 << 20));
                if (memory.Length > remaining)
                {
                    memory = memory[..(int)remaining];
                }

                await ReceivePayloadAsync(transport, memory, length, cancellationToken).ConfigureAwait(false);
                destination.Advance(memory.Length);
                remaining -= memory.Length;
            }
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        CompleteMessage();
        return length;
    }

    /// <summary>Receives one message asynchronously into <paramref name="buffer"/> (Python's <c>recv_bytes_into</c>).</summary>
    /// <param name="buffer">The destination.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message length.</returns>
    /// <exception cref="BufferTooShortException">The message does not fit; it was consumed and is in <see cref="BufferTooShortException.Payload"/>.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, or a header was impossible.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    public async ValueTask<int> RecvBytesIntoAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var transport = CheckReadable();
        var length = await ReceiveHeaderCheckedAsync(transport, long.MaxValue, cancellationToken).ConfigureAwait(false);
        if (length > buffer.Length)
        {
            var whole = await ReceiveGrowingAsync(transport, length, cancellationToken).ConfigureAwait(false);
            ThrowHelper.ThrowBufferTooShort(whole, buffer.Length);
        }

        await ReceiveWholeAsync(transport, buffer[..(int)length], cancellationToken).ConfigureAwait(false);
        return (int)length;
    }

    /// <summary>The asynchronous <see cref="ReceiveGrowing"/>: a long payload in chunks allocated as its bytes arrive.</summary>
    private async ValueTask<byte[]> ReceiveGrowingAsync(IConnectionTransport transport, long length, CancellationToken cancellationToken)
    {
        CheckArrayLength(length);
        byte[] payload;
        try
        {
            if (length <= TrustedPayloadLength)
            {
                payload = length == 0 ? [] : GC.AllocateUninitializedArray<byte>((int)length);
                await ReceivePayloadAsync(transport, payload, length, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var chunks = new PayloadChunks(length);
                while (!chunks.AllAllocated)
                {
                    await AwaitPayloadBytesAsync(transport, length, cancellationToken).ConfigureAwait(false);
                    await ReceivePayloadAsync(transport, chunks.Next(), length, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The asynchronous <see cref="AwaitPayloadBytes"/>.</summary>
    private async ValueTask AwaitPayloadBytesAsync(IConnectionTransport transport, long length, CancellationToken cancellationToken)
    {
        if (_receiveStart == _receiveEnd)
        {
            await FillReceiveBufferAsync(transport, inHeader: false, length, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ReceiveWholeAsync(IConnectionTransport transport, Memory<byte> payload, CancellationToken cancellationToken)
    {
        try
        {
            await ReceivePayloadAsync(transport, payload, payload.Length, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        CompleteMessage();
    }

    private async ValueTask<long> ReceiveHeaderCheckedAsync(IConnectionTransport transport, long maxLength, CancellationToken cancellationToken)
    {
        long length;
        while (!TryTakeHeader(maxLength, out length))
        {
            await FillReceiveBufferAsync(transport, inHeader: true, 0, cancellationToken).ConfigureAwait(false);
        }

        return length;
    }

    /// <summary>
    /// Takes a header from the read-ahead buffer if it is all there, applies the maximum length and marks the message
    /// in progress (a separate method because spans cannot cross awaits).
    /// </summary>
    private bool TryTakeHeader(long maxLength, out long length)
    {
        var headerOffset = _streamOffset;
        bool complete;
        int headerLength;
        try
        {
            complete = Framing.TryReadHeader(BufferedSpan, out length, out headerLength);
        }
        catch (IOException e)
        {
            MarkUnreadable(e.Message);
            throw new IOException($"{e.Message}, in the header of message {_messagesReceived + 1} at stream offset {headerOffset}", e);
        }

        if (!complete)
        {
            return false;
        }

        Consume(headerLength);
        if (length > maxLength || length > MaxMessageLength)
        {
            var text = length > maxLength
                ? $"Bad message length: message {_messagesReceived + 1} is {length} bytes, more than the maximum of {maxLength}"
                : $"Bad message length: message {_messagesReceived + 1} announces {length} bytes, more than this connection's limit (MaxMessageLength = {MaxMessageLength})";
            MarkUnreadable(text);
            throw new IOException(text);
        }

        _midMessage = true;
        return true;
    }

    private async ValueTask ReceivePayloadAsync(IConnectionTransport transport, Memory<byte> destination, long messageLength, CancellationToken cancellationToken)
    {
        destination = destination[TakeBuffered(destination.Span)..];
        while (!destination.IsEmpty)
        {
            if (destination.Length < ReadAheadThreshold)
            {
                await FillReceiveBufferAsync(transport, inHeader: false, messageLength, cancellationToken).ConfigureAwait(false);
                destination = destination[TakeBuffered(destination.Span)..];
            }
            else
            {
                var n = await transport.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
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

    private async ValueTask FillReceiveBufferAsync(IConnectionTransport transport, bool inHeader, long messageLength, CancellationToken cancellationToken)
    {
        var buffer = PrepareReceiveBuffer();
        var n = _eofSeen ? 0 : await transport.ReadAsync(buffer.AsMemory(_receiveEnd), cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            _eofSeen = true;
            OnEndOfStream(inHeader, messageLength);
        }

        AfterFill(n);
    }
}
