using Multiprocess.Connection;

namespace Multiprocess.TestUtilities.Connection;

/// <summary>
/// An in-memory, connected pair of transports. Reads hand out at most <c>maxChunk</c> bytes at a time, so with 1
/// every frame arrives one byte per read: the framing code must cope with every split. Disposing one end is end of
/// stream for the other. Everything written is also kept in <see cref="Written"/> for byte-exact checks.
/// </summary>
public sealed class InMemoryTransport : IConnectionTransport
{
    private readonly Channel _incoming;
    private readonly Channel _outgoing;
    private readonly int _maxChunk;

    private InMemoryTransport(Channel incoming, Channel outgoing, int maxChunk)
    {
        _incoming = incoming;
        _outgoing = outgoing;
        _maxChunk = maxChunk;
    }

    /// <summary>Everything this end has written, in order.</summary>
    public byte[] Written => _outgoing.History();

    /// <summary>How many Read/ReadAsync calls returned data.</summary>
    public int Reads { get; private set; }

    public int Handle => -1;

    /// <summary>Creates a connected pair; each end's reads return at most <paramref name="maxChunk"/> bytes.</summary>
    public static (InMemoryTransport A, InMemoryTransport B) CreatePair(int maxChunk = int.MaxValue)
    {
        var ab = new Channel();
        var ba = new Channel();
        return (new InMemoryTransport(ba, ab, maxChunk), new InMemoryTransport(ab, ba, maxChunk));
    }

    public int Read(Span<byte> buffer)
    {
        var n = _incoming.Take(buffer[..Math.Min(buffer.Length, _maxChunk)], Timeout.InfiniteTimeSpan);
        Reads += n > 0 ? 1 : 0;
        return n;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await _incoming.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Read(buffer.Span);
    }

    public void Write(ReadOnlySpan<byte> buffer) => _outgoing.Put(buffer);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _outgoing.Put(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public bool Poll(TimeSpan timeout) => _incoming.WaitReadable(timeout);

    /// <summary>Closes this end's writing side: the peer reads end of stream after what was sent.</summary>
    public void Dispose() => _outgoing.Complete();

    /// <summary>One direction: a byte queue with blocking and async waits.</summary>
    private sealed class Channel
    {
        private readonly Lock _gate = new();
        private readonly Queue<byte> _bytes = new();
        private readonly List<byte> _history = [];
        private readonly SemaphoreSlim _signal = new(0);
        private bool _completed;

        public void Put(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                if (_completed)
                {
                    throw new IOException("write after close (EPIPE)");
                }

                foreach (var b in data)
                {
                    _bytes.Enqueue(b);
                }

                _history.AddRange(data.ToArray());
            }

            _signal.Release();
        }

        public void Complete()
        {
            lock (_gate)
            {
                _completed = true;
            }

            _signal.Release();
        }

        public byte[] History()
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }

        public int Take(Span<byte> destination, TimeSpan timeout)
        {
            while (true)
            {
                lock (_gate)
                {
                    if (_bytes.Count > 0)
                    {
                        var n = Math.Min(destination.Length, _bytes.Count);
                        for (var i = 0; i < n; i++)
                        {
                            destination[i] = _bytes.Dequeue();
                        }

                        return n;
                    }

                    if (_completed)
                    {
                        return 0;
                    }
                }

                _signal.Wait(timeout);
            }
        }

        public bool WaitReadable(TimeSpan timeout)
        {
            var deadline = timeout == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + timeout;
            while (true)
            {
                lock (_gate)
                {
                    if (_bytes.Count > 0 || _completed)
                    {
                        return true;
                    }
                }

                var left = deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
                if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
                {
                    return false;
                }

                _signal.Wait(left == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Min(left.TotalMilliseconds, 10)));
            }
        }

        public async Task WaitAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                lock (_gate)
                {
                    if (_bytes.Count > 0 || _completed)
                    {
                        return;
                    }
                }

                await _signal.WaitAsync(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
