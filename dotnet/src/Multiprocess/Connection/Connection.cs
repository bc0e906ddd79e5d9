using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// One end of a message stream: CPython's POSIX <c>multiprocessing.connection.Connection</c>, byte for byte
/// (docs/protocols.md §1). Messages are framed as <see cref="Framing"/> describes; <see cref="SendBytes(ReadOnlySpan{byte})"/>
/// and the <c>RecvBytes</c> family are the only primitives, so object messages (pickles) are a layer on top.
/// </summary>
/// <remarks>
/// <para>
/// Like CPython's, a connection is not safe for two concurrent receivers or two concurrent senders; one thread
/// receiving while another sends is fine (the two directions share nothing).
/// </para>
/// <para>
/// Unlike CPython, the receive side reads ahead into a buffer (4 KiB, growing to 64 KiB), so a small message costs
/// one read(2) instead of two. <see cref="Poll()"/> and <see cref="Wait"/> count buffered input as readable. Code that reads the fd itself
/// (fd passing with SCM_RIGHTS) must first check <see cref="HasBufferedInput"/> is false; in every multiprocessing
/// exchange the peer sends nothing unasked before such a read, so nothing is buffered then.
/// </para>
/// <para>
/// Before blocking for input the synchronous receive briefly polls (<see cref="SpinDuration"/>, adaptive), which
/// avoids a scheduler wake-up when the peer answers within microseconds; set it to zero to block at once.
/// </para>
/// </remarks>
public sealed partial class Connection : IDisposable
{
    /// <summary>The most bytes read ahead per read(2).</summary>
    internal const int ReceiveBufferSize = 64 * 1024;

    /// <summary>
    /// The read-ahead buffer starts this small (a handshake-only connection never needs more) and grows to
    /// <see cref="ReceiveBufferSize"/> the first time a read fills it.
    /// </summary>
    internal const int InitialReceiveBufferSize = 4 * 1024;

    /// <summary>
    /// Payloads up to this size are copied behind their header and written with one write(2): split writes of small
    /// frames stall 40+ ms on TCP (Nagle + delayed ACK, docs/native.md). CPython uses the same limit (16384).
    /// </summary>
    internal const int SmallMessageLimit = 16 * 1024;

    /// <summary>
    /// A payload up to this size is allocated whole when its header arrives; a longer one is collected in chunks of this
    /// size, each allocated once bytes for it have arrived (<see cref="PayloadChunks"/>), so a header that announces
    /// more than the peer sends costs no more than what it sent.
    /// </summary>
    internal const int TrustedPayloadLength = 1 << 20;

    private readonly bool _writable;
    private TimeSpan _stallTimeout = Timeout.InfiniteTimeSpan;
    private IConnectionTransport? _transport;
    private bool _readable;
    private string? _unreadableReason;
    private static long s_defaultMaxMessageLength = long.MaxValue;
    private SpinPolicy _spin;
    private long _maxMessageLength;

    /// <summary>Initializes a new instance of the <see cref="Connection"/> class over a transport, taking ownership of it.</summary>
    /// <param name="transport">What moves the bytes.</param>
    /// <param name="readable">Whether this end may receive (false for the write end of a one-way pipe).</param>
    /// <param name="writable">Whether this end may send (false for the read end of a one-way pipe).</param>
    /// <exception cref="ArgumentNullException"><paramref name="transport"/> is null.</exception>
    /// <exception cref="ArgumentException">Both <paramref name="readable"/> and <paramref name="writable"/> are false.</exception>
    public Connection(IConnectionTransport transport, bool readable = true, bool writable = true)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (!readable && !writable)
        {
            // connection.py _ConnectionBase.__init__: "at least one of `readable` and `writable` must be True"
            ThrowHelper.ThrowArgument(nameof(readable), "At least one of readable and writable must be true");
        }

        _transport = transport;
        _readable = readable;
        _writable = writable;
        _spin = new SpinPolicy(DefaultSpinDuration);
        _maxMessageLength = s_defaultMaxMessageLength;
    }

    /// <summary>
    /// Gets or sets how long a synchronous receive polls before it blocks, for connections created afterwards.
    /// Defaults to 50 µs, or to the <c>MULTIPROCESS_SPIN_US</c> environment variable (microseconds; 0 disables).
    /// </summary>
    public static TimeSpan DefaultSpinDuration { get; set; } = SpinPolicy.FromEnvironment();

    /// <summary>Gets or sets how long a synchronous receive polls before it blocks (zero: block at once). Adaptive: after polls that found nothing it stops polling for a while.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan SpinDuration
    {
        get => _spin.Duration;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _spin = new SpinPolicy(value);
        }
    }

    /// <summary>
    /// Gets or sets the longest message new connections accept (their <see cref="MaxMessageLength"/>). Defaults to
    /// no limit, as CPython's connections have none; servers facing untrusted peers set their own (the manager
    /// server's default is 1 GiB: <c>SyncManagerServerOptions.MaxMessageLength</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static long DefaultMaxMessageLength
    {
        get => s_defaultMaxMessageLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            s_defaultMaxMessageLength = value;
        }
    }

    /// <summary>
    /// Gets or sets the longest message this connection accepts, whatever a receive's own <c>maxLength</c>. A longer
    /// one fails the receive with an <see cref="IOException"/> that names this limit and the announced length, before
    /// anything is allocated for it; the stream is then out of step, so the connection stops receiving.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long MaxMessageLength
    {
        get => _maxMessageLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxMessageLength = value;
        }
    }

    /// <summary>
    /// Gets or sets how long a synchronous receive waits for the next bytes of a message it has started (a partial
    /// header or payload) before it gives up with a <see cref="TimeoutException"/> naming this limit: a peer that
    /// stalls mid-message cannot hold a receiving thread for ever. Infinite by default, as in CPython.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative and not infinite.</exception>
    public TimeSpan StallTimeout
    {
        get => _stallTimeout;
        set
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The stall timeout must be positive or infinite");
            }

            _stallTimeout = value;
        }
    }

    /// <summary>Gets a value indicating whether the connection is closed (Python's <c>closed</c>).</summary>
    public bool Closed => _transport is null;

    /// <summary>Gets a value indicating whether this end may receive (Python's <c>readable</c>).</summary>
    public bool Readable => _readable;

    /// <summary>Gets a value indicating whether this end may send (Python's <c>writable</c>).</summary>
    public bool Writable => _writable;

    /// <summary>Gets a value indicating whether bytes were read ahead from the transport and not yet returned as messages.</summary>
    public bool HasBufferedInput => _receiveEnd > _receiveStart || _eofSeen;

    /// <summary>Gets the transport (reading or writing it directly would break the framing).</summary>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    public IConnectionTransport Transport => CheckOpen();

    /// <summary>Wraps an fd this process owns: a connected stream socket or one end of a pipe (Python's <c>Connection(fd)</c>).</summary>
    /// <param name="fd">The file descriptor; the connection owns it from now on.</param>
    /// <param name="readable">Whether this end may receive.</param>
    /// <param name="writable">Whether this end may send.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="IOException">The fd is not open.</exception>
    public static Connection FromHandle(int fd, bool readable = true, bool writable = true) =>
        new(SocketTransport.FromHandle(fd), readable, writable);

    /// <summary>Returns the file descriptor (Python's <c>fileno()</c>), or -1 for a transport without one.</summary>
    /// <returns>The fd.</returns>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    public int Fileno() => CheckOpen().Handle;

    /// <summary>
    /// Acknowledges received data at once (TCP_QUICKACK on Linux; nothing on AF_UNIX or a pipe): for a peer that
    /// writes several messages while this end sends nothing, whose later writes would otherwise wait for the delayed
    /// ACK (40 ms) under Nagle. The kernel clears the flag again, so call it before each read that needs it.
    /// </summary>
    public void AcknowledgeNow() => _transport?.AcknowledgeNow();

    /// <summary>Whether the peer has hung up (or this end is closed), found without reading (poll(2) for POLLRDHUP).</summary>
    /// <returns>True when the peer is gone; false for a transport that cannot tell.</returns>
    public bool IsPeerClosed() => _transport is not { } t || t.IsPeerClosed();

    /// <summary>
    /// Bounds how long a send may block on a peer that does not read (SO_SNDTIMEO on a socket; nothing on other
    /// transports): the send then fails with an <see cref="IOException"/> instead of blocking for ever.
    /// </summary>
    /// <param name="timeout">The bound; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    public void SetSendTimeout(TimeSpan timeout) => _transport?.SetSendTimeout(timeout);

    /// <summary>Shuts the connection down in both directions without closing it (shutdown(2)), so that a receive blocked on another thread returns end of stream.</summary>
    public void Shutdown() => _transport?.Shutdown();

    /// <summary>Closes the connection (Python's <c>close()</c>); closing twice is harmless.</summary>
    public void Close() => Interlocked.Exchange(ref _transport, null)?.Dispose();

    /// <inheritdoc/>
    public void Dispose() => Close();

    /// <summary>Describes the connection for diagnostics.</summary>
    /// <returns>The fd and state.</returns>
    public override string ToString() =>
        _transport is { } t ? $"Connection(fd={t.Handle}, readable={_readable}, writable={_writable})" : "Connection(closed)";

    private IConnectionTransport CheckOpen()
    {
        var t = _transport;
        if (t is null)
        {
            ThrowHelper.ThrowConnectionClosed();
        }

        return t;
    }

    private IConnectionTransport CheckReadable()
    {
        var t = CheckOpen();
        if (!_readable)
        {
            ThrowHelper.ThrowNotReadable(_unreadableReason);
        }

        return t;
    }

    private IConnectionTransport CheckWritable()
    {
        var t = CheckOpen();
        if (!_writable)
        {
            ThrowHelper.ThrowNotWritable();
        }

        return t;
    }

    /// <summary>
    /// The stream is no longer aligned on a frame boundary (CPython's <c>_bad_message_length</c>): further receives
    /// would read garbage, so they are refused; a read-only end is closed.
    /// </summary>
    private void MarkUnreadable(string reason)
    {
        _readable = false;
        _unreadableReason = reason;
        if (!_writable)
        {
            Close();
        }
    }
}
