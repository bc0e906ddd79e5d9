namespace Multiprocess.Connection;

/// <summary>
/// What a <see cref="Connection"/> needs from the thing under it: move bytes, report readability. Framing, buffering,
/// timeouts and authentication all live above this interface, so a transport only moves bytes (a socket, a pipe fd,
/// or, in tests, an in-memory pipe that hands out one byte at a time).
/// </summary>
public interface IConnectionTransport : IDisposable
{
    /// <summary>Gets the OS file descriptor, or -1 if there is none (in-memory transports).</summary>
    int Handle { get; }

    /// <summary>Reads what is available, blocking until at least one byte has arrived or the peer has closed.</summary>
    /// <param name="buffer">Where to put the bytes; never empty.</param>
    /// <returns>The number of bytes read; 0 means end of stream.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    int Read(Span<byte> buffer);

    /// <summary>Asynchronously reads what is available; completes when at least one byte has arrived or the peer has closed.</summary>
    /// <param name="buffer">Where to put the bytes; never empty.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The number of bytes read; 0 means end of stream.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes every byte of <paramref name="buffer"/>, blocking as needed.</summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="IOException">The OS reported an error (e.g. the peer closed: EPIPE).</exception>
    void Write(ReadOnlySpan<byte> buffer);

    /// <summary>Asynchronously writes every byte of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes.</param>
    /// <param name="cancellationToken">Cancels the write (the stream is then in an unknown state).</param>
    /// <returns>A task that completes when every byte was handed to the OS.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Waits until a read would not block (data, end of stream or an error are all "readable").</summary>
    /// <param name="timeout">How long to wait: <see cref="TimeSpan.Zero"/> checks, <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <returns>Whether a read would not block.</returns>
    bool Poll(TimeSpan timeout);

    /// <summary>
    /// Acknowledges received data at once where the transport would delay the acknowledgement (TCP_QUICKACK on
    /// Linux); nothing elsewhere. The kernel clears the flag again, so a caller sets it before each read that needs it.
    /// </summary>
    void AcknowledgeNow()
    {
    }

    /// <summary>Whether the peer has closed its end, found without reading; false where the transport cannot tell.</summary>
    /// <returns>True when the peer is gone.</returns>
    bool IsPeerClosed() => false;

    /// <summary>Bounds how long a blocking write may wait for the peer to read (SO_SNDTIMEO); nothing where there is no such option.</summary>
    /// <param name="timeout">The bound; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    void SetSendTimeout(TimeSpan timeout)
    {
    }

    /// <summary>Shuts both directions down (shutdown(2)), so that a read blocked on another thread returns; nothing where there is no such call.</summary>
    void Shutdown()
    {
    }
}
