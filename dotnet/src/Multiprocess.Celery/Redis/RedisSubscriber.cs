using System.Collections.Concurrent;
using System.Text;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// One pub/sub connection and the thread that reads it: channels (SUBSCRIBE) and patterns (PSUBSCRIBE) deliver to
/// <see cref="Message"/>. A lost connection is reopened and every subscription renewed; what was published
/// meanwhile is lost, as with any Redis subscriber, so callers re-read state after <see cref="Reconnected"/>.
/// <see cref="Subscribe"/> returns once the server confirmed the subscription: a caller that then reads state on
/// another connection sees either that state or every later publish (the server orders commands per connection only).
/// </summary>
public sealed class RedisSubscriber : IDisposable
{
    private readonly RedisConnectionPool _pool;
    private readonly ConcurrentDictionary<string, byte> _channels = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _patterns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _confirmations = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();
    private readonly Thread _reader;
    private RedisConnection _connection;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="RedisSubscriber"/> class and starts reading.</summary>
    /// <param name="pool">The server's connections (this opens its own).</param>
    /// <exception cref="IOException">The server cannot be reached.</exception>
    public RedisSubscriber(RedisConnectionPool pool)
    {
        _pool = pool;
        _connection = pool.Open();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "redis-subscriber" };
        _reader.Start();
    }

    /// <summary>Raised on the reader thread for each message: channel, payload.</summary>
    public event Action<string, byte[]>? Message;

    /// <summary>Raised on the reader thread after a lost connection was reopened and subscriptions renewed.</summary>
    public event Action? Reconnected;

    /// <summary>Gets or sets how long <see cref="Subscribe"/> waits for the server's confirmation before it returns anyway.</summary>
    internal static TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Subscribes to a channel and waits until the server confirmed it (at most <see cref="ConfirmationTimeout"/>).</summary>
    /// <param name="channel">The channel.</param>
    public void Subscribe(string channel)
    {
        if (!_channels.TryAdd(channel, 0))
        {
            return;
        }

        // Without the confirmation a GET on another connection may run before the SUBSCRIBE, and a result stored and
        // published between the two is never seen: the waiter sleeps until its timeout (seen in the celery benchmark).
        var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _confirmations[channel] = confirmed;
        Send("SUBSCRIBE", channel);
        if (Thread.CurrentThread != _reader)
        {
            // A lost connection is renewed by the reader, which confirms this subscription then; past the timeout the
            // caller's own re-read at its deadline still finds a stored result.
            confirmed.Task.Wait(ConfirmationTimeout);
        }

        _confirmations.TryRemove(new KeyValuePair<string, TaskCompletionSource>(channel, confirmed));
    }

    /// <summary>Unsubscribes from a channel.</summary>
    /// <param name="channel">The channel.</param>
    public void Unsubscribe(string channel)
    {
        if (_channels.TryRemove(channel, out _))
        {
            Send("UNSUBSCRIBE", channel);
        }
    }

    /// <summary>Subscribes to a glob pattern of channels.</summary>
    /// <param name="pattern">The pattern.</param>
    public void PatternSubscribe(string pattern)
    {
        if (_patterns.TryAdd(pattern, 0))
        {
            Send("PSUBSCRIBE", pattern);
        }
    }

    /// <summary>Stops reading and closes the connection.</summary>
    public void Dispose()
    {
        _disposed = true;
        lock (_writeLock)
        {
            _connection.Abort();
            _connection.Dispose();
        }

        _reader.Join(TimeSpan.FromSeconds(5));
    }

    private void Send(params object[] command)
    {
        lock (_writeLock)
        {
            try
            {
                _connection.Write(command);
                _connection.Flush();
            }
            catch (IOException)
            {
                // The reader reconnects and renews every subscription, this one included.
            }
        }
    }

    private void ReadLoop()
    {
        while (!_disposed)
        {
            try
            {
                // Pushes: [message, channel, data], [pmessage, pattern, channel, data], [subscribe, channel, n], ...
                if (_connection.Read(Timeout.InfiniteTimeSpan) is not object?[] push || push.Length < 3 || push[0] is not byte[] kind)
                {
                    continue;
                }

                if (kind.AsSpan().SequenceEqual("message"u8) && push[1] is byte[] ch && push[2] is byte[] data)
                {
                    Message?.Invoke(Encoding.UTF8.GetString(ch), data);
                }
                else if (kind.AsSpan().SequenceEqual("subscribe"u8) && push[1] is byte[] subscribed
                         && _confirmations.TryGetValue(Encoding.UTF8.GetString(subscribed), out var confirmed))
                {
                    confirmed.TrySetResult();
                }
                else if (kind.AsSpan().SequenceEqual("pmessage"u8) && push.Length == 4 && push[2] is byte[] pch && push[3] is byte[] pdata)
                {
                    Message?.Invoke(Encoding.UTF8.GetString(pch), pdata);
                }
            }
            catch (Exception e) when (e is IOException or RedisException or ObjectDisposedException)
            {
                if (_disposed)
                {
                    return;
                }

                Reconnect();
            }
        }
    }

    private void Reconnect()
    {
        while (!_disposed)
        {
            try
            {
                var fresh = _pool.Open();
                lock (_writeLock)
                {
                    _connection.Dispose();
                    _connection = fresh;
                    foreach (var c in _channels.Keys)
                    {
                        fresh.Write("SUBSCRIBE", c);
                    }

                    foreach (var p in _patterns.Keys)
                    {
                        fresh.Write("PSUBSCRIBE", p);
                    }

                    fresh.Flush();
                }

                Reconnected?.Invoke();
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(500);
            }
        }
    }
}
