using Microsoft.Extensions.Logging;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// A worker's consumer on kombu's Redis transport: one fetcher thread popping the queues' priority lists in kombu's
/// order, at most <c>prefetch</c> deliveries held (a semaphore: Redis has no basic.qos); each message is popped and
/// recorded in <c>unacked</c> by one script, so no kill can lose it in between, and a timer restores the messages of dead consumers past the visibility
/// timeout (kombu <c>QoS.restore_visible</c>). The pidbox is a pub/sub channel.
/// </summary>
internal sealed class RedisWorkerTransport : IWorkerTransport
{
    private readonly RedisConnectionPool _pool;
    private readonly RedisBroker _broker;
    private readonly ILogger _logger;
    private readonly string _hostname;
    private readonly TimeSpan _restoreInterval;
    private SemaphoreSlim? _window;
    private RedisConnection? _fetchConnection;
    private RedisSubscriber? _pidbox;
    private Timer? _restorer;
    private Thread? _fetcher;
    private volatile bool _consuming;

    public RedisWorkerTransport(string url, TimeSpan visibilityTimeout, TimeSpan restoreInterval, ILogger logger, string hostname)
    {
        _pool = new RedisConnectionPool(RedisEndpoint.Parse(url));
        _broker = new RedisBroker(_pool) { VisibilityTimeout = visibilityTimeout };
        _restoreInterval = restoreInterval;
        _logger = logger;
        _hostname = hostname;
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
                WorkerLog.ControlIgnored(_logger, _hostname, e.Message);
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
            WorkerLog.RestoreOneFailed(_logger, _hostname, message.DeliveryTag, e.Message);
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

    // Pops the first message of the consume keys and records it in 'unacked' in one atomic step: a worker killed at
    // any moment leaves each message either in its queue or restorable. (kombu's BRPOP-then-MULTI leaves a window
    // where a killed worker loses the message it just popped: celery/kombu#305, celery/celery#7950.) The row is
    // kombu's [envelope, exchange, routing_key] with the envelope embedded as popped. A message that is not JSON or
    // has no delivery tag is popped and returned with a mark, for the caller to handle as BRPOP's result.
    private const string FetchScript = """
        for i = 3, #KEYS do
          local msg = redis.call('RPOP', KEYS[i])
          if msg then
            local ok, env = pcall(cjson.decode, msg)
            if not ok or type(env) ~= 'table' or type(env['properties']) ~= 'table' then
              return {KEYS[i], msg, 'undecodable'}
            end
            local props = env['properties']
            local tag = props['delivery_tag']
            if type(tag) ~= 'string' then
              return {KEYS[i], msg, 'untagged'}
            end
            local info = props['delivery_info']
            if type(info) ~= 'table' then info = {} end
            local ex = info['exchange']
            local rk = info['routing_key']
            if type(ex) ~= 'string' then ex = '' end
            if type(rk) ~= 'string' then rk = '' end
            redis.call('ZADD', KEYS[1], ARGV[1], tag)
            redis.call('HSET', KEYS[2], tag, '[' .. msg .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']')
            return {KEYS[i], msg, 'unacked'}
          end
        end
        return false
        """;

    private void FetchLoop(IReadOnlyList<string> queues, Action<BrokerMessage> deliver)
    {
        var keys = RedisBroker.ConsumeKeys(queues);
        var fetch = new object[keys.Count + 5];
        fetch[0] = "EVAL";
        fetch[1] = FetchScript;
        fetch[2] = keys.Count + 2;
        fetch[3] = RedisBroker.UnackedIndexKey;
        fetch[4] = RedisBroker.UnackedKey;
        for (var i = 0; i < keys.Count; i++)
        {
            fetch[i + 5] = keys[i];
        }

        // Waits without taking: BLMOVE of a list onto itself returns once it holds a message and leaves it there. One
        // key can be watched: the first (the first queue's priority-0 list, where messages usually are); the others
        // are looked at again after 0.1 s, or after 1 s (the Stop check) when there are no others.
        object[] wait = ["BLMOVE", keys[0], keys[0], "RIGHT", "RIGHT", keys.Count == 1 ? "1" : "0.1"];
        while (_consuming)
        {
            if (!_window!.Wait(TimeSpan.FromSeconds(1)))
            {
                continue;
            }

            object?[]? popped;
            try
            {
                popped = _fetchConnection!.Execute([.. fetch, CeleryTime.Now()]) as object?[];
                if (popped is null)
                {
                    _window.Release();
                    _fetchConnection.Execute(wait);
                    continue;
                }
            }
            catch (Exception e) when (e is IOException or RedisException or ObjectDisposedException)
            {
                _window.Release();
                if (!_consuming)
                {
                    return;
                }

                WorkerLog.ConnectionLost(_logger, _hostname, e.Message);
                Reconnect();
                continue;
            }

            if (popped is not [byte[] key, byte[] envelope, byte[] mark])
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
                WorkerLog.NotAnEnvelope(_logger, _hostname, System.Text.Encoding.UTF8.GetString(key), e.Message);
                _window.Release();
                continue;
            }

            if (!mark.AsSpan().SequenceEqual("unacked"u8))
            {
                // No delivery tag (not sent by kombu or this library): one is made and recorded now.
                if (message.DeliveryTag.Length == 0)
                {
                    message.DeliveryTag = Guid.NewGuid().ToString();
                }

                _broker.MarkUnacked(message.DeliveryTag, envelope, message.Exchange, message.RoutingKey);
            }

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
                WorkerLog.Restored(_logger, _hostname, n);
            }
        }
        catch (Exception e) when (e is IOException or RedisException or FormatException)
        {
            WorkerLog.RestoreFailed(_logger, _hostname, e.Message);
        }
    }
}
