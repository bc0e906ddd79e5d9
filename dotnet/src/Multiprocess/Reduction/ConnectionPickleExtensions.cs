using System.Buffers;
using Multiprocess.Pickle;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Reduction;

/// <summary>
/// Object messages on a <see cref="Connection.Connection"/>: Python's <c>Connection.send(obj)</c> /
/// <c>recv()</c>, one pickle (protocol 4, as <c>ForkingPickler</c>) per frame (protocols.md §1.3).
/// </summary>
public static class ConnectionPickleExtensions
{
    /// <summary>Pickles <paramref name="value"/> and sends it as one message (Python's <c>send(obj)</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Pickling options; null for protocol 4 and the default registry.</param>
    /// <exception cref="PicklingException">The value cannot be pickled.</exception>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    public static void Send(this Conn connection, object? value, PickleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var buffer = new ArrayBufferWriter<byte>(256);
        PickleSerializer.Dump(buffer, value, options);
        connection.SendBytes(buffer.WrittenSpan);
    }

    /// <summary>Receives one message and unpickles it (Python's <c>recv()</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="options">Unpickling options; null for the defaults.</param>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection (Python's EOFError).</exception>
    /// <exception cref="UnpicklingException">The message is not a valid pickle.</exception>
    /// <exception cref="IOException">The stream broke inside a message.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    public static object? Recv(this Conn connection, UnpickleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var buffer = new ArrayBufferWriter<byte>(256);
        connection.RecvBytes(buffer);
        return PickleSerializer.Loads(buffer.WrittenSpan, options);
    }

    /// <summary>Pickles <paramref name="value"/> and sends it as one message, asynchronously.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Pickling options; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the message is written.</returns>
    /// <exception cref="PicklingException">The value cannot be pickled.</exception>
    /// <exception cref="IOException">The OS reported an error.</exception>
    public static ValueTask SendAsync(this Conn connection, object? value, PickleOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.SendBytesAsync(PickleSerializer.Dumps(value, options), cancellationToken: cancellationToken);
    }

    /// <summary>Receives one message and unpickles it, asynchronously.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="options">Unpickling options; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the receive (the connection is then out of step).</param>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="UnpicklingException">The message is not a valid pickle.</exception>
    public static async ValueTask<object?> RecvAsync(this Conn connection, UnpickleOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var bytes = await connection.RecvBytesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return PickleSerializer.Loads(bytes, options);
    }
}
