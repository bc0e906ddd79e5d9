using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;

namespace Multiprocess.Internal;

/// <summary>Errors of the connection layer: framing, transports, state, handshake.</summary>
internal static partial class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBadHeader(int size) =>
        throw new IOException($"Impossible message length {size} (0x{(uint)size:X8}) in a frame header: a header holds 0..2147483647, or -1 followed by an 8-byte length");

    [DoesNotReturn]
    public static void ThrowBadLongHeader(ulong size) =>
        throw new IOException($"Impossible message length {size} (0x{size:X16}) in an 8-byte frame header: at most {long.MaxValue} is supported");

    [DoesNotReturn]
    public static void ThrowBadMessageLength(long length, long maxLength) =>
        throw new IOException($"Bad message length: a message of {length} bytes is more than the maximum of {maxLength}");

    public static IOException TransportError(string operation, int fd, SocketException e) =>
        new($"{operation} on fd {fd} failed: {e.Message} ({e.SocketErrorCode})", e);

    public static ObjectDisposedException TransportClosed(string operation, int fd) =>
        new(nameof(Multiprocess.Connection.Connection), $"The connection (fd {fd}) was closed during {operation}");

    [DoesNotReturn]
    public static void ThrowConnectionClosed() =>
        throw new ObjectDisposedException(nameof(Multiprocess.Connection.Connection), "The connection is closed");

    [DoesNotReturn]
    public static void ThrowNotReadable(string? reason) =>
        throw new InvalidOperationException(reason is null ? "The connection is write-only" : "The connection no longer receives: " + reason);

    [DoesNotReturn]
    public static void ThrowNotWritable() => throw new InvalidOperationException("The connection is read-only");

    [DoesNotReturn]
    public static void ThrowBufferTooShort(byte[] message, int room) =>
        throw new BufferTooShortException($"A message of {message.Length} bytes does not fit the {room} bytes of room in the buffer", message);

    [DoesNotReturn]
    public static void ThrowReceiveTimeout(long messageNumber, bool midMessage) =>
        throw new TimeoutException(midMessage
            ? $"Timed out in the middle of message {messageNumber}; the connection no longer receives"
            : $"Timed out waiting for message {messageNumber}");

    [DoesNotReturn]
    public static void ThrowPeerStalled(long messageNumber, bool midMessage, TimeSpan stallTimeout) =>
        throw new TimeoutException($"The peer stalled: no byte of message {messageNumber} arrived within the stall limit (StallTimeout = {stallTimeout.TotalSeconds:0.###} s){(midMessage ? "; the connection no longer receives" : "")}");

    [DoesNotReturn]
    public static void ThrowEndOfStream(long messagesReceived) =>
        throw new EndOfStreamException($"The peer closed the connection (after {messagesReceived} message(s))");

    [DoesNotReturn]
    public static void ThrowEofInHeader(long messageNumber, int headerBytes, long offset) =>
        throw new IOException($"Got end of file during message: {headerBytes} byte(s) of the header of message {messageNumber} at stream offset {offset}, then the stream ended");

    [DoesNotReturn]
    public static void ThrowEofInPayload(long messageNumber, long length, int missing) =>
        throw new IOException(missing >= 0
            ? $"Got end of file during message: message {messageNumber} announced {length} bytes, {missing} never came"
            : $"Got end of file during message: message {messageNumber} announced {length} bytes, the stream ended before all came");

    [DoesNotReturn]
    public static int ThrowNotWaitable(object o, int index) =>
        throw new ArgumentException($"Element {index} of the wait list is a {o.GetType().FullName}, which has no fd: pass Connections, IWaitables, Sockets, SafeHandles or int fds", "objects");
}
