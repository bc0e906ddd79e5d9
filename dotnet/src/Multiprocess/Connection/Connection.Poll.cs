using System.Net.Sockets;
using System.Runtime.InteropServices;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>Readiness: <c>poll()</c> on one connection, <c>wait()</c> over many objects.</summary>
public sealed partial class Connection : IWaitable
{
    /// <summary>Returns whether a message can be received without waiting (Python's <c>poll()</c>, timeout 0).</summary>
    /// <returns>Whether input (or end of stream) is there.</returns>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only.</exception>
    public bool Poll() => Poll(TimeSpan.Zero);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for input (Python's <c>poll(timeout)</c>). End of stream counts as
    /// input: the next receive then reports it.
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever (Python's None); a negative one only checks.</param>
    /// <returns>Whether input (or end of stream) is there.</returns>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only.</exception>
    public bool Poll(TimeSpan timeout)
    {
        var transport = CheckReadable();
        return HasBufferedInput || transport.Poll(timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan ? TimeSpan.Zero : timeout);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for input as <see cref="Poll(TimeSpan)"/> does, but over a socket reads
    /// what arrives straight into the read-ahead buffer: one recv(2) bounded by SO_RCVTIMEO instead of poll(2) and then
    /// recv(2), so that a request costs the server one read and one write (its wait for a proxy's next request).
    /// </summary>
    /// <param name="timeout">How long to wait; below a millisecond, or infinite, it polls.</param>
    /// <returns>Whether input (or end of stream) is there.</returns>
    internal bool WaitForInput(TimeSpan timeout)
    {
        var transport = CheckReadable();
        if (HasBufferedInput)
        {
            return true;
        }

        var ms = timeout == Timeout.InfiniteTimeSpan ? 0 : (long)timeout.TotalMilliseconds;
        if (transport is SocketTransport socket && ms is > 0 and <= int.MaxValue)
        {
            var buffer = PrepareReceiveBuffer();
            if (socket.TryReadWithin(buffer.AsSpan(_receiveEnd), (int)ms) is { } n)
            {
                if (n < 0)
                {
                    return false;
                }

                _eofSeen = n == 0;
                AfterFill(n);
                return true;
            }
        }

        return Poll(timeout);
    }

    /// <summary>
    /// Fills the read-ahead buffer with input known to be there without taking it off a socket
    /// (<see cref="SocketTransport.PeekReady"/>); <see cref="ConsumePeekedInput"/> takes it off later, and any
    /// other read first. Does nothing if input is buffered already or the transport cannot.
    /// </summary>
    internal void PeekReadyInput()
    {
        if (HasBufferedInput || CheckReadable() is not SocketTransport socket)
        {
            return;
        }

        var buffer = PrepareReceiveBuffer();
        if (socket.PeekReady(buffer.AsSpan(_receiveEnd)) is { } n)
        {
            _eofSeen = n == 0;
            AfterFill(n);
        }
    }

    /// <summary>Takes what <see cref="PeekReadyInput"/> left on the socket off it.</summary>
    internal void ConsumePeekedInput()
    {
        if (_transport is SocketTransport socket)
        {
            socket.ConsumePeeked();
        }
    }

    /// <summary>Waits asynchronously up to <paramref name="timeout"/> for input.</summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether input (or end of stream) is there.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The connection is closed.</exception>
    /// <exception cref="InvalidOperationException">This end is write-only.</exception>
    public async ValueTask<bool> PollAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var transport = CheckReadable();
        if (HasBufferedInput || transport.Poll(TimeSpan.Zero))
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            return false;
        }

        // Waiting means reading: whatever arrives goes into the read-ahead buffer, where the next receive finds it.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            cts.CancelAfter(timeout);
        }

        var buffer = PrepareReceiveBuffer();
        try
        {
            var n = await transport.ReadAsync(buffer.AsMemory(_receiveEnd), cts.Token).ConfigureAwait(false);
            if (n == 0)
            {
                _eofSeen = true;
            }

            AfterFill(n);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until at least one of <paramref name="objects"/> is ready, or the timeout passes (Python's
    /// <c>multiprocessing.connection.wait</c>): poll(2) over their fds, EINTR retried with the time that is left.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="objects">
    /// <see cref="Connection"/>s (ready when a message or end of stream is there, buffered input included),
    /// <see cref="IWaitable"/>s such as <see cref="Listener"/>, <see cref="Socket"/>s, <see cref="SafeHandle"/>s, or
    /// <see cref="int"/> fds (process sentinels). A hang-up or error counts as ready.
    /// </param>
    /// <param name="timeout">How long to wait; <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/> waits for ever; a negative one only checks.</param>
    /// <returns>The ready objects, in their order in <paramref name="objects"/>; empty on timeout.</returns>
    /// <exception cref="ArgumentException">An element is of a kind that has no fd.</exception>
    /// <exception cref="ObjectDisposedException">A connection in the list is closed.</exception>
    /// <exception cref="IOException">poll(2) failed.</exception>
    public static IReadOnlyList<T> Wait<T>(IEnumerable<T> objects, TimeSpan? timeout = null)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(objects);
        var list = objects as IReadOnlyList<T> ?? objects.ToList();
        var fds = new SocketNative.PollFd[list.Count];
        var buffered = false;
        for (var i = 0; i < list.Count; i++)
        {
            fds[i].Fd = FilenoOf(list[i], i);
            buffered |= list[i] is Connection { HasBufferedInput: true };
        }

        // Buffered input is ready now: look at the fds without waiting, as CPython's wait() does once any is ready.
        var deadline = buffered ? Deadline.From(TimeSpan.Zero) : Deadline.From(timeout ?? Timeout.InfiniteTimeSpan);
        SocketNative.PollReadable(fds, deadline);

        var ready = new List<T>();
        for (var i = 0; i < list.Count; i++)
        {
            if (fds[i].Revents != 0 || list[i] is Connection { HasBufferedInput: true })
            {
                ready.Add(list[i]);
            }
        }

        return ready;
    }

    private static int FilenoOf(object o, int index) => o switch
    {
        IWaitable w => w.Fileno(),
        Socket s => (int)s.SafeHandle.DangerousGetHandle(),
        SafeHandle h => (int)h.DangerousGetHandle(),
        IConnectionTransport t => t.Handle,
        int fd => fd,
        _ => ThrowHelper.ThrowNotWaitable(o, index),
    };
}
