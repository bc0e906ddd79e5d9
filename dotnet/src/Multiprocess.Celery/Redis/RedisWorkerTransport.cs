using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// A worker's consumer on kombu's Redis transport: one fetcher thread in <c>BRPOP</c> over the queues' priority
/// lists, at most <c>prefetch</c> deliveries held (a semaphore: Redis has no basic.qos); each delivery is recorded in
/// <c>unacked</c> before it is handed over, and a timer restores the messages of dead consumers past the visibility
/// timeout (kombu <c>QoS.restore_visible</c>). The pidbox is a pub/sub channel.
/// </summary>
internal sealed class RedisWorkerTransport : IWorkerTransport
{
    private readonly RedisConnectionPool _pool;
    private readonly RedisBroker _broker;
    private readonly Action<string> _log;
    private readonly TimeSpan _restoreInterval;
    private SemaphoreSlim? _window;
    private RedisConnection? _fetchConnection;
    private RedisSubscriber? _pidbox;
    private Timer? _restorer;
    private Thread? _fetcher;
    private volatile bool _consuming;

    public RedisWorkerTransport(string url, TimeSpan visibilityTimeout, TimeSpan restoreInterval, Action<string> log)
    {
        _pool = new RedisConnectionPool(RedisEndpoint.Parse(url));
        _broker = new RedisBroker(_pool) { VisibilityTimeout = visibilityTimeout };
        _restoreInterval = restoreInterval;
        _log = log;
    }

    public ITaskBroker Broker => _broker;

    public void StartConsuming(IReadOnlyList<string> queues, int prefetch, Action<BrokerMessage> deliver)
    {
        _fetchConnection = _pool.Open();
        foreach (var q in queues)
        {
            _broker.DeclareQueue(q);
        }

        RestoreExpired();
        _restorer = new Timer(_ => RestoreExpired(), null, _restoreInterval, _restoreInterval);
        _window = new SemaphoreSlim(prefetch);
        _consuming = true;
        _fetcher = new Thread(() => FetchLoop(queues, deliver)) { IsBackground = true, Name = "celery-fetcher" };
        _fetcher.Start();
    }

    public void StartControl(string hostname, Action<BrokerMessage> control)
    {
        _pidbox = new RedisSubscriber(_pool);
        _pidbox.Message += (_, data) =>
        {
            BrokerMessage message;
            try
            {
                message = KombuEnvelope.Read(data);
            }
            catch (FormatException e)
            {
                _log($"control message ignored: {e.Message}");
                return;
            }

            control(message);
        };
        _pidbox.Subscribe(_broker.FanoutChannel("celery.pidbox", ""));
    }

    public void StopConsuming()
    {
        _consuming = false;
        _fetchConnection?.Abort();
        _fetcher?.Join(TimeSpan.FromSeconds(5));
        _restorer?.Dispose();
    }

    public void Ack(BrokerMessage message) => _broker.Ack(message.DeliveryTag);

    public void Reject(BrokerMessage message, bool requeue)
    {
        if (requeue)
        {
            // Celery's Reject(requeue=True) on Redis: back of the line (LPUSH; consumers pop from the right).
            _broker.Restore(message.DeliveryTag, leftmost: true);
        }
        else
        {
            _broker.Ack(message.DeliveryTag);
        }
    }

    public void Restore(BrokerMessage message)
    {
        try
        {
            _broker.Restore(message.DeliveryTag);
        }
        catch (Exception e) when (e is IOException or RedisException)
        {
            _log($"could not restore {message.DeliveryTag} ({e.Message}): it returns after the visibility timeout");
        }
    }

    public void Release(BrokerMessage message) => _window?.Release();

    public void PublishReply(BrokerMessage message, string exchange, string routingKey) => _broker.Publish(message, exchange, routingKey);

    public void PublishEvent(BrokerMessage message, string routingKey) => _broker.PublishFanout(message, "celeryev", routingKey);

    public void Dispose()
    {
        StopConsuming();
        _pidbox?.Dispose();
        _fetchConnection?.Dispose();
        _broker.Dispose();
        _pool.Dispose();
        _window?.Dispose();
    }

    private void FetchLoop(IReadOnlyList<string> queues, Action<BrokerMessage> deliver)
    {
        var keys = RedisBroker.ConsumeKeys(queues);
        var command = new object[keys.Count + 2];
        command[0] = "BRPOP";
        for (var i = 0; i < keys.Count; i++)
        {
            command[i + 1] = keys[i];
        }

        command[^1] = 1; // seconds: the loop checks for Stop this often
        while (_consuming)
        {
            if (!_window!.Wait(TimeSpan.FromSeconds(1)))
            {
                continue;
            }

            object?[]? popped;
            try
            {
                popped = _fetchConnection!.Execute(command) as object?[];
            }
            catch (Exception e) when (e is IOException or RedisException or ObjectDisposedException)
            {
                _window.Release();
                if (!_consuming)
                {
                    return;
                }

                _log($"broker: {e.Message}; reconnecting");
                Reconnect();
                continue;
            }

            if (popped is not [byte[] key, byte[] envelope])
            {
                _window.Release();
                continue;
            }

            BrokerMessage message;
            try
            {
                message = KombuEnvelope.Read(envelope);
            }
            catch (FormatException e)
            {
                // Not even an envelope: nothing can acknowledge or restore it; kombu would fail the same way.
                _log($"dropped a message from {System.Text.Encoding.UTF8.GetString(key)} that is not a kombu envelope: {e.Message}");
                _window.Release();
                continue;
            }

            if (message.DeliveryTag.Length == 0)
            {
                message.DeliveryTag = Guid.NewGuid().ToString();
            }

            // Restorable from here on: a crash before the ack returns it to the queue after the visibility timeout.
            _broker.MarkUnacked(message.DeliveryTag, envelope, message.Exchange, message.RoutingKey);
            deliver(message);
        }
    }

    private void Reconnect()
    {
        while (_consuming)
        {
            try
            {
                var fresh = _pool.Open();
                var old = _fetchConnection;
                _fetchConnection = fresh;
                old?.Dispose();
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(1000);
            }
        }
    }

    private void RestoreExpired()
    {
        try
        {
            var n = _broker.RestoreVisible();
            if (n > 0)
            {
                _log($"restored {n} unacknowledged message(s) older than the visibility timeout");
            }
        }
        catch (Exception e) when (e is IOException or RedisException or FormatException)
        {
            _log($"restore: {e.Message}");
        }
    }
}
