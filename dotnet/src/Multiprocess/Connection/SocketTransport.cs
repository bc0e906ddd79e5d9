using System.Net.Sockets;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// A transport over a <see cref="Socket"/>: a connected stream socket (AF_UNIX, AF_INET, AF_INET6) or a pipe fd
/// (.NET's socket layer reads and writes non-socket fds with read(2)/write(2), and its async engine polls them too).
/// Errors surface as <see cref="IOException"/> naming the operation and the fd, the <see cref="SocketException"/>
/// inside.
/// </summary>
public sealed class SocketTransport : IConnectionTransport
{
    private readonly Socket _socket;
    private readonly int _fd;
    private volatile bool _disposed;

    /// <summary>The SO_RCVTIMEO (ms) <see cref="TryReadWithin"/> set; 0: none; -1: this fd cannot have one.</summary>
    private int _receiveTimeoutMs;

    /// <summary>Whether the fd is an AF_UNIX socket (known once <see cref="TryReadWithin"/> set SO_RCVTIMEO).</summary>
    private bool _unix;

    /// <summary>Bytes <see cref="PeekReady"/> returned that are still on the socket (taken off before any other read).</summary>
    private int _peeked;

    /// <summary>Initializes a new instance of the <see cref="SocketTransport"/> class over a connected socket, taking ownership of it.</summary>
    /// <param name="socket">A connected stream socket, or a socket object over a pipe fd.</param>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    public SocketTransport(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    /// <summary>Gets the socket (for socket options; do not read or write it directly, the connection buffers input).</summary>
    public Socket Socket => _socket;

    /// <inheritdoc/>
    public int Handle => _fd;

    /// <summary>Wraps an fd (a socket or a pipe end) this process owns, taking ownership of it.</summary>
    /// <param name="fd">The file descriptor.</param>
    /// <returns>The transport.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is negative.</exception>
    /// <exception cref="IOException">The fd is not open.</exception>
    public static SocketTransport FromHandle(int fd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);

        // Inherited fds may lack FD_CLOEXEC (children would inherit them) and may be O_NONBLOCK if the peer
        // that created them used them asynchronously (docs/native.md).
        SocketNative.SetCloseOnExec(fd);
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true)) { Blocking = true };
        return new SocketTransport(socket);
    }

    /// <inheritdoc/>
    public int Read(Span<byte> buffer)
    {
        ConsumePeeked();
        if (_receiveTimeoutMs > 0)
        {
            // SO_RCVTIMEO is set: a wait longer than it fails recv(2) with EAGAIN, which here only means "wait on".
            int n;
            while ((n = RawRecv(buffer)) < 0)
            {
                SocketNative.PollReadable(_fd, Deadline.Infinite);
            }

            return n;
        }

        try
        {
            return _socket.Receive(buffer);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Failure("recv", e);
        }
    }

    /// <summary>
    /// Reads what is available, waiting at most <paramref name="timeoutMs"/>: the manager server's wait for a proxy's
    /// next request. One recv(2) bounded by SO_RCVTIMEO (set on the first call), except on an AF_UNIX socket whose last
    /// message the peer has not read yet, or while several clients are busy: there poll(2) for input first (<see cref="RequestWait"/> decides).
    /// </summary>
    /// <param name="buffer">Where to put the bytes; never empty.</param>
    /// <param name="timeoutMs">How long to wait (more than 0).</param>
    /// <returns>The bytes read (0: end of stream); -1 if nothing arrived in time; null if this fd cannot wait so (not a socket, or non-blocking): poll it instead.</returns>
    /// <exception cref="IOException">The OS reported an error.</exception>
    /// <exception cref="ObjectDisposedException">The transport is closed.</exception>
    internal int? TryReadWithin(Span<byte> buffer, int timeoutMs)
    {
        ConsumePeeked();
        if (_receiveTimeoutMs != timeoutMs)
        {
            if (_receiveTimeoutMs < 0 || timeoutMs <= 0)
            {
                return null;
            }

            if (!SocketNative.IsBlocking(_fd) || !SocketNative.SetReceiveTimeout(_fd, timeoutMs))
            {
                _receiveTimeoutMs = -1;
                return null;
            }

            _receiveTimeoutMs = timeoutMs;
            _unix = SocketNative.IsUnixSocket(_fd);
        }

        // Whether to poll(2) for input first is RequestWait's decision (why: its remarks).
        if (_unix && RequestWait.PollsFirst(this, _fd) && !SocketNative.WaitReadable(_fd, timeoutMs))
        {
            return -1;
        }

        var n = RawRecv(buffer);
        if (_unix && n > 0)
        {
            RequestWait.Arrived(_fd);
        }

        return n;
    }

    /// <summary>
    /// Reads the input known to be there (poll(2) said so) without taking it off the socket (MSG_PEEK), so that the
    /// peer, asleep in read() for its reply, is not woken now: on AF_UNIX taking a message off frees the peer's
    /// buffer and wakes it (unix_write_space), and a peer that wakes before its reply is there sleeps again and is
    /// woken a second time by the reply. <see cref="ConsumePeeked"/> takes the bytes off once the reply is sent; any
    /// other read or poll does so first. Only for a socket <see cref="TryReadWithin"/> set up (blocking, SO_RCVTIMEO).
    /// </summary>
    /// <returns>The bytes peeked (0: end of stream); null if this transport cannot (not set up, or bytes already peeked).</returns>
    internal int? PeekReady(Span<byte> buffer)
    {
        if (_receiveTimeoutMs <= 0 || _peeked > 0)
        {
            return null;
        }

        var n = RawRecv(buffer, SocketNative.MSG_PEEK);
        if (n < 0)
        {
            return null; // nothing there after all (EAGAIN at SO_RCVTIMEO): the caller reads as usual
        }

        _peeked = n;
        if (_unix && n > 0)
        {
            RequestWait.Arrived(_fd); // as TryReadWithin counts a request
        }

        return n;
    }

    /// <summary>Takes the bytes <see cref="PeekReady"/> returned off the socket (they are in the caller's buffer already).</summary>
    internal void ConsumePeeked()
    {
        if (_peeked == 0)
        {
            return;
        }

        var peeked = _peeked;
        _peeked = 0;
        if (TakeOff(peeked, flags: 0) > 0)
        {
            // Peeked bytes stay until taken: 0 or EAGAIN here means the socket is not what it was (closed under us).
            throw Failure("recv", new SocketException((int)SocketError.ConnectionReset));
        }
    }

    /// <summary>
    /// Takes peeked bytes off before the socket is closed: an AF_UNIX socket closed with unread input resets its peer
    /// (ECONNRESET) instead of ending its stream (EOF), so a client whose peeked request was still being served when
    /// the server shut down would see ConnectionResetError instead of EOFError. Never waits; the closing thread may
    /// race the serving thread here, which only reads a connection that is being closed anyway.
    /// </summary>
    private void DiscardPeeked()
    {
        var peeked = Interlocked.Exchange(ref _peeked, 0);
        if (peeked <= 0 || _disposed)
        {
            return;
        }

        try
        {
            TakeOff(peeked, SocketNative.MSG_DONTWAIT);
        }
        catch (IOException)
        {
            // The peer reset or went: nothing left to spare it.
        }
    }

    /// <summary>Reads <paramref name="count"/> bytes already known (peeked) off the socket into a scratch buffer.</summary>
    /// <returns>How many were left when a recv(2) gave nothing more (0: all taken).</returns>
    private int TakeOff(int count, int flags)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (count > 0 && RawRecv(scratch[..Math.Min(count, scratch.Length)], flags) is var n and > 0)
        {
            count -= n;
        }

        return count;
    }

    /// <summary>One recv(2) on the fd, kept open meanwhile (the SafeHandle's reference count).</summary>
    /// <returns>The bytes read (0: end of stream), or -1 for EAGAIN.</returns>
    private int RawRecv(Span<byte> buffer, int flags = 0)
    {
        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var n = SocketNative.Recv(_fd, buffer, flags);
            if (n >= 0)
            {
                return n;
            }

            if (n == -SocketNative.EAGAIN)
            {
                return -1;
            }

            throw Failure("recv", new SocketException((int)SocketErrorOf(-n)));
        }
        catch (ObjectDisposedException e)
        {
            throw Failure("recv", e);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The <see cref="SocketError"/> for a recv(2) or send(2) errno (the ones a connected stream socket reports).</summary>
    private static SocketError SocketErrorOf(int errno) => errno switch
    {
        104 => SocketError.ConnectionReset,   // ECONNRESET
        110 => SocketError.TimedOut,          // ETIMEDOUT
        107 => SocketError.NotConnected,      // ENOTCONN
        9 => SocketError.OperationAborted,    // EBADF
        32 => SocketError.Shutdown,           // EPIPE
        _ => SocketError.SocketError,
    };

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Failure("recv", e);
        }
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            // A blocking Send loops until every byte is written.
            while (!buffer.IsEmpty)
            {
                var n = _socket.Send(buffer);
                buffer = buffer[n..];
            }

            if (_unix)
            {
                RequestWait.Answered(_fd);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Failure("send", e);
        }
    }

    /// <summary>
    /// Writes all of <paramref name="buffer"/>: straight through send(2) once this socket is known to be blocking
    /// (<see cref="TryReadWithin"/> checked it), which spares the .NET socket layer's per-call work; else as
    /// <see cref="Write"/>. Under SO_SNDTIMEO a send that cannot go on in time fails with EAGAIN: reported as
    /// <see cref="SocketError.WouldBlock"/>, as the .NET socket reports it.
    /// </summary>
    /// <param name="buffer">The bytes.</param>
    /// <exception cref="IOException">The OS reported an error.</exception>
    internal void WriteDirect(ReadOnlySpan<byte> buffer)
    {
        if (_receiveTimeoutMs <= 0)
        {
            Write(buffer);
            return;
        }

        var handle = _socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            while (!buffer.IsEmpty)
            {
                var n = SocketNative.Send(_fd, buffer);
                if (n < 0)
                {
                    throw Failure("send", new SocketException((int)(n == -SocketNative.EAGAIN ? SocketError.WouldBlock : SocketErrorOf(-n))));
                }

                buffer = buffer[n..];
            }

            if (_unix)
            {
                RequestWait.Answered(_fd);
            }
        }
        catch (ObjectDisposedException e)
        {
            throw Failure("send", e);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                var n = await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                buffer = buffer[n..];
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            throw Failure("send", e);
        }
    }

    /// <summary>What a failed recv or send means: the transport was closed under it (disposed here, or a
    /// SocketException after disposal), else the socket's error.</summary>
    private Exception Failure(string operation, Exception e) =>
        e is SocketException socketError && !_disposed
            ? (Exception)ThrowHelper.TransportError(operation, _fd, socketError)
            : ThrowHelper.TransportClosed(operation, _fd);

    /// <inheritdoc/>
    public bool Poll(TimeSpan timeout)
    {
        // Peeked bytes are the caller's already: they must not read as input again (a blocked acquire's wait for the
        // next request, a receive's wait for the rest of a frame).
        ConsumePeeked();
        return SocketNative.PollReadable(_fd, Deadline.From(timeout));
    }

    /// <inheritdoc/>
    public void AcknowledgeNow()
    {
        if (!OperatingSystem.IsLinux() || _disposed || _socket.ProtocolType != ProtocolType.Tcp)
        {
            return;
        }

        try
        {
            _socket.SetRawSocketOption(SocketNative.IPPROTO_TCP, SocketNative.TCP_QUICKACK, [1, 0, 0, 0]);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Only a latency optimisation.
        }
    }

    /// <inheritdoc/>
    public bool IsPeerClosed() => _disposed || SocketNative.IsPeerClosed(_fd);

    /// <inheritdoc/>
    public void SetSendTimeout(TimeSpan timeout) =>
        _socket.SendTimeout = timeout == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);

    /// <inheritdoc/>
    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not a socket (a pipe fd), not connected, or closed already: nothing is blocked on it.
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_unix && !_disposed)
        {
            // A connection closed mid-request (its client died) must not count as busy from then on.
            RequestWait.Answered(_fd);
        }

        DiscardPeeked();
        _disposed = true;
        _socket.Dispose();
    }
}
