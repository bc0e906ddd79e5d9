using System.Buffers;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>Receiving a small message where it already is: in the read-ahead buffer, not copied out of it.</summary>
public sealed partial class Connection
{
    /// <summary>
    /// Receives one message: one of up to <paramref name="inPlaceLimit"/> bytes is left in the read-ahead buffer
    /// and given as <paramref name="payload"/>, valid only until the next receive on this connection (a manager
    /// server decodes each request before it reads the next); a longer one goes into <paramref name="destination"/>.
    /// </summary>
    /// <param name="destination">Where a message longer than <paramref name="inPlaceLimit"/> goes.</param>
    /// <param name="inPlaceLimit">The longest message taken in place (at most <see cref="ReceiveBufferSize"/>).</param>
    /// <param name="payload">The message, when taken in place.</param>
    /// <returns>True if the message is in <paramref name="payload"/>; false if it went to <paramref name="destination"/>.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection at a message boundary.</exception>
    /// <exception cref="IOException">The stream ended inside a message, a header was impossible, or the message is too long.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only, or an earlier receive left the stream out of step.</exception>
    internal bool RecvBytesInPlace(IBufferWriter<byte> destination, int inPlaceLimit, out ReadOnlySpan<byte> payload)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inPlaceLimit, ReceiveBufferSize);
        var deadline = Deadline.Infinite;
        var transport = CheckReadable();
        var length = ReceiveHeaderChecked(transport, long.MaxValue, deadline);
        if (length > inPlaceLimit)
        {
            payload = default;
            ReceiveInto(transport, destination, length, deadline);
            return false;
        }

        try
        {
            while (_receiveEnd - _receiveStart < length)
            {
                // The rest of the message must fit behind what is buffered: grow the buffer (once) if it cannot.
                _growReceiveBuffer |= _receiveBuffer!.Length < length && _receiveBuffer.Length < ReceiveBufferSize;
                FillReceiveBuffer(transport, deadline, inHeader: false, length);
            }
        }
        catch
        {
            AbandonMessage();
            throw;
        }

        payload = new ReadOnlySpan<byte>(_receiveBuffer, _receiveStart, (int)length);
        Consume((int)length);
        CompleteMessage();
        return true;
    }
}
