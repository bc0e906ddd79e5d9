using System.Collections.Concurrent;
using Multiprocess.Internal;

namespace Multiprocess.Managers.Server;

/// <summary>
/// Proxy connections between requests, watched by one thread (epoll) instead of a thread each: a connection silent
/// for a moment is parked here, and handed back to a serving thread when its next request arrives (or its peer
/// hangs up). Parked connections that stay silent past their deadline are expired.
/// </summary>
/// <typeparam name="T">What is parked (a session).</typeparam>
internal sealed unsafe class IdleConnections<T> : IDisposable
    where T : class
{
    private const int MaxEvents = 256;

    /// <summary>The wake-up pipe's read end reports this instead of an fd.</summary>
    private const long WakeData = -1;

    private readonly ConcurrentDictionary<int, (T Item, long Deadline)> _parked = new();
    private readonly Action<T> _ready;
    private readonly Action<T> _expired;
    private readonly object _gate = new();
    private readonly int _epoll;
    private readonly (int Read, int Write) _wake;
    private readonly Thread _thread;
    private bool _disposed;
    private bool _haveDeadlines;

    /// <summary>Initializes a new instance of the <see cref="IdleConnections{T}"/> class and starts its thread.</summary>
    /// <param name="name">The watching thread's name.</param>
    /// <param name="ready">Called (on the watching thread) when a parked item's fd is readable or hung up; it is no longer parked.</param>
    /// <param name="expired">Called (on the watching thread) when a parked item's deadline passed; it is no longer parked.</param>
    public IdleConnections(string name, Action<T> ready, Action<T> expired)
    {
        _ready = ready;
        _expired = expired;
        _epoll = Epoll.Create();
        _wake = SocketNative.Pipe();
        Epoll.Add(_epoll, _wake.Read, Epoll.EPOLLIN, WakeData);
        _thread = new Thread(Watch) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Gets how many items are parked.</summary>
    public int Count => _parked.Count;

    /// <summary>
    /// Parks <paramref name="item"/> until <paramref name="fd"/> is readable (a request, or the peer hung up) or
    /// <paramref name="deadline"/> (<see cref="Environment.TickCount64"/> ms; <see cref="long.MaxValue"/> for none)
    /// passes. From the moment this returns true the item belongs to the watcher: the caller must not touch it.
    /// </summary>
    /// <returns>False once disposed: the caller keeps the item.</returns>
    public bool Park(int fd, T item, long deadline)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _parked[fd] = (item, deadline);
            if (deadline != long.MaxValue && !_haveDeadlines)
            {
                _haveDeadlines = true;
                Wake(); // the watcher waits without a timeout until there are deadlines
            }

            try
            {
                Epoll.Add(_epoll, fd, Epoll.EPOLLIN | Epoll.EPOLLRDHUP | Epoll.EPOLLONESHOT, fd);
            }
            catch
            {
                _parked.TryRemove(fd, out _);
                throw;
            }

            return true;
        }
    }

    /// <summary>Stops watching and returns the items still parked (their owner closes them).</summary>
    public List<T> Drain()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                Wake();
            }
        }

        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }

        var left = new List<T>();
        foreach (var fd in _parked.Keys)
        {
            if (_parked.TryRemove(fd, out var entry))
            {
                left.Add(entry.Item);
            }
        }

        return left;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Drain();
        SocketNative.Close(_epoll);
        SocketNative.Close(_wake.Read);
        SocketNative.Close(_wake.Write);
    }

    private void Wake()
    {
        byte one = 1;
        _ = LibcPipe.Write(_wake.Write, &one, 1);
    }

    private void Watch()
    {
        var events = new byte[MaxEvents * Epoll.EventSize];
        var wakeBytes = new byte[64];
        var nextSweep = long.MaxValue;
        while (true)
        {
            var timeout = -1;
            if (Volatile.Read(ref _haveDeadlines))
            {
                nextSweep = Math.Min(nextSweep, Environment.TickCount64 + 1000);
                timeout = (int)Math.Clamp(nextSweep - Environment.TickCount64, 0, 1000);
            }

            var n = Epoll.Wait(_epoll, events, timeout);
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
            }

            for (var i = 0; i < n; i++)
            {
                var (_, data) = Epoll.Read(events, i);
                if (data == WakeData)
                {
                    fixed (byte* drain = wakeBytes)
                    {
                        _ = LibcPipe.Read(_wake.Read, drain, (nuint)wakeBytes.Length);
                    }

                    continue;
                }

                var fd = (int)data;
                if (_parked.TryRemove(fd, out var entry))
                {
                    Epoll.Remove(_epoll, fd);
                    _ready(entry.Item);
                }
            }

            if (Volatile.Read(ref _haveDeadlines) && Environment.TickCount64 >= nextSweep)
            {
                nextSweep = long.MaxValue;
                Sweep();
            }
        }
    }

    /// <summary>Expires parked items whose deadline passed (once a second at most).</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var (fd, entry) in _parked)
        {
            if (entry.Deadline <= now && _parked.TryRemove(fd, out var expired))
            {
                Epoll.Remove(_epoll, fd);
                _expired(expired.Item);
            }
        }
    }
}
