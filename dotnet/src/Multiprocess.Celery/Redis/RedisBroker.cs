using System.Text;
using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// kombu's Redis transport on the wire (kombu/transport/redis.py), so that Python and C# producers and consumers
/// share queues: a queue is a list (LPUSH to publish, BRPOP to consume) split by priority into
/// <c>queue</c>, <c>queue\x06\x163</c>, <c>queue\x06\x166</c>, <c>queue\x06\x169</c>; bindings are the sets
/// <c>_kombu.binding.&lt;exchange&gt;</c> of <c>routing_key\x06\x16pattern\x06\x16queue</c>; fanout is PUBLISH on
/// <c>/{db}.&lt;exchange&gt;[/routing_key]</c>; late acknowledgement is emulated with the hash <c>unacked</c>
/// (tag → <c>[envelope, exchange, routing_key]</c>) and the sorted set <c>unacked_index</c> (tag → delivery time),
/// from which any consumer restores messages older than the visibility timeout.
/// </summary>
public sealed class RedisBroker : ITaskBroker
{
    /// <summary>kombu's separator in priority queue names and binding rows.</summary>
    public const string Separator = "\x06\x16";

    /// <summary>The name of the hash of unacknowledged messages.</summary>
    public const string UnackedKey = "unacked";

    /// <summary>The name of the sorted set indexing <see cref="UnackedKey"/> by delivery time.</summary>
    public const string UnackedIndexKey = "unacked_index";

    /// <summary>The name of the lock consumers take while restoring.</summary>
    public const string UnackedMutexKey = "unacked_mutex";

    // kombu.transport.redis: PRIORITY_STEPS; BRPOP lists the lower steps first, so on Redis priority 0 is served first.
    private static readonly int[] s_prioritySteps = [0, 3, 6, 9];

    // kombu/transport/redis.py Mutex: released only by the holder of the token.
    private const string ReleaseMutexScript =
        "local token = redis.call('get', KEYS[1])\nif not token or token ~= ARGV[1] then\n    return 0\nend\nredis.call('del', KEYS[1])\nreturn 1\n";

    private readonly bool _ownsPool;

    /// <summary>Initializes a new instance of the <see cref="RedisBroker"/> class.</summary>
    /// <param name="url">A redis URL (<see cref="RedisEndpoint.Parse"/>).</param>
    public RedisBroker(string url)
        : this(new RedisConnectionPool(RedisEndpoint.Parse(url)), ownsPool: true)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisBroker"/> class.</summary>
    /// <param name="pool">Connections to the server.</param>
    /// <param name="ownsPool">Whether disposing this disposes the pool.</param>
    public RedisBroker(RedisConnectionPool pool, bool ownsPool = false)
    {
        Pool = pool;
        _ownsPool = ownsPool;
    }

    /// <summary>Gets the connections.</summary>
    public RedisConnectionPool Pool { get; }

    /// <summary>Gets or sets how long a delivered, unacknowledged message stays invisible before any consumer restores it (kombu: 1 hour).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets the list name holding messages of a priority (kombu <c>_q_for_pri</c>).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="priority">The priority, clamped to 0–9 and rounded down to a step.</param>
    /// <returns>The list name.</returns>
    public static string QueueForPriority(string queue, int priority)
    {
        var p = Math.Clamp(priority, 0, 9);
        var step = s_prioritySteps[0];
        foreach (var s in s_prioritySteps)
        {
            if (s <= p)
            {
                step = s;
            }
        }

        return step == 0 ? queue : queue + Separator + step.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Gets the BRPOP keys for queues: every queue's step-0 list, then step 3, 6, 9.</summary>
    /// <param name="queues">The queues.</param>
    /// <returns>The keys in kombu's order.</returns>
    public static List<string> ConsumeKeys(IReadOnlyList<string> queues)
    {
        var keys = new List<string>(queues.Count * s_prioritySteps.Length);
        foreach (var step in s_prioritySteps)
        {
            foreach (var q in queues)
            {
                keys.Add(QueueForPriority(q, step));
            }
        }

        return keys;
    }

    /// <summary>Declares a queue the way Celery's default routing does: bound to the direct exchange of its own name with its name as routing key.</summary>
    /// <param name="queue">The queue.</param>
    public void DeclareQueue(string queue) =>
        Pool.Execute("SADD", "_kombu.binding." + queue, queue + Separator + Separator + queue);

    /// <summary>Publishes to a queue through an exchange (<c>""</c>: the routing key is the queue).</summary>
    /// <param name="message">The message.</param>
    /// <param name="exchange">The exchange: <c>""</c> or a direct exchange whose bindings are in Redis.</param>
    /// <param name="routingKey">The routing key.</param>
    /// <exception cref="InvalidOperationException">No queue is bound for the routing key.</exception>
    public void Publish(BrokerMessage message, string exchange, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Exchange = exchange;
        message.RoutingKey = routingKey;
        var queues = Lookup(exchange, routingKey);
        var envelope = KombuEnvelope.Write(message);
        Pool.Use(c =>
        {
            foreach (var q in queues)
            {
                c.Write("LPUSH", QueueForPriority(q, message.Priority), envelope);
            }

            c.Flush();
            foreach (var unused in queues)
            {
                c.Read(c.ReplyTimeout);
            }

            return 0;
        });
    }

    /// <summary>Publishes to a fanout exchange (Redis PUBLISH: only consumers listening now receive it).</summary>
    /// <param name="message">The message.</param>
    /// <param name="exchange">The exchange (<c>celery.pidbox</c>, <c>celeryev</c>).</param>
    /// <param name="routingKey">The routing key, appended to the channel when not empty (kombu's fanout_patterns).</param>
    public void PublishFanout(BrokerMessage message, string exchange, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Exchange = exchange;
        message.RoutingKey = routingKey;
        Pool.Execute("PUBLISH", FanoutChannel(exchange, routingKey), KombuEnvelope.Write(message));
    }

    /// <summary>Gets the pub/sub channel of a fanout exchange (kombu <c>_get_publish_topic</c>).</summary>
    /// <param name="exchange">The exchange.</param>
    /// <param name="routingKey">The routing key or <c>""</c>.</param>
    /// <returns>The channel.</returns>
    public string FanoutChannel(string exchange, string routingKey) =>
        $"/{Pool.Endpoint.Database}.{exchange}" + (routingKey.Length > 0 ? "/" + routingKey : "");

    /// <summary>Finds the queues a direct exchange routes a key to (kombu <c>_lookup</c> with <c>get_table</c>).</summary>
    /// <param name="exchange">The exchange; <c>""</c> routes to the queue named by the key.</param>
    /// <param name="routingKey">The key.</param>
    /// <returns>The queues.</returns>
    /// <exception cref="InvalidOperationException">None is bound.</exception>
    public List<string> Lookup(string exchange, string routingKey)
    {
        if (exchange.Length == 0)
        {
            return [routingKey];
        }

        var rows = Pool.Execute("SMEMBERS", "_kombu.binding." + exchange) as object?[] ?? [];
        var queues = new List<string>();
        foreach (var row in rows)
        {
            var parts = Encoding.UTF8.GetString((byte[])row!).Split(Separator);
            if (parts.Length == 3 && parts[0] == routingKey && !queues.Contains(parts[2]))
            {
                queues.Add(parts[2]);
            }
        }

        return queues.Count > 0
            ? queues
            : throw new InvalidOperationException($"redis {Pool.Endpoint}: no queue is bound to exchange '{exchange}' with routing key '{routingKey}'");
    }

    /// <summary>Records a delivered message as unacknowledged (kombu <c>QoS.append</c>): restorable until acknowledged.</summary>
    /// <param name="tag">Its delivery tag.</param>
    /// <param name="envelope">The envelope as it was popped.</param>
    /// <param name="exchange">Its delivery_info exchange.</param>
    /// <param name="routingKey">Its delivery_info routing key.</param>
    public void MarkUnacked(string tag, byte[] envelope, string exchange, string routingKey)
    {
        // hash value: json [envelope, exchange, routing_key], the envelope embedded as is (it is JSON already).
        var ex = CeleryJson.Serialize(exchange);
        var rk = CeleryJson.Serialize(routingKey);
        var row = new byte[envelope.Length + ex.Length + rk.Length + 6];
        var span = row.AsSpan();
        span[0] = (byte)'[';
        envelope.CopyTo(span[1..]);
        var at = 1 + envelope.Length;
        ", "u8.CopyTo(span[at..]);
        ex.CopyTo(span[(at + 2)..]);
        at += 2 + ex.Length;
        ", "u8.CopyTo(span[at..]);
        rk.CopyTo(span[(at + 2)..]);
        at += 2 + rk.Length;
        span[at] = (byte)']';
        Pool.Use(c =>
        {
            c.Write("MULTI");
            c.Write("ZADD", UnackedIndexKey, CeleryTime.Now(), tag);
            c.Write("HSET", UnackedKey, tag, row);
            c.Write("EXEC");
            c.Flush();
            return ReadTransaction(c, 2);
        });
    }

    /// <summary>Acknowledges: forgets the unacknowledged copy (kombu <c>QoS.ack</c>).</summary>
    /// <param name="tag">The delivery tag.</param>
    public void Ack(string tag) => Pool.Use(c =>
    {
        c.Write("MULTI");
        c.Write("ZREM", UnackedIndexKey, tag);
        c.Write("HDEL", UnackedKey, tag);
        c.Write("EXEC");
        c.Flush();
        return ReadTransaction(c, 2);
    });

    /// <summary>Puts an unacknowledged message back on its queues (kombu <c>restore_by_tag</c>), marked redelivered.</summary>
    /// <param name="tag">The delivery tag.</param>
    /// <param name="leftmost">Whether it goes to the back of the line (a rejected message) rather than the front.</param>
    /// <returns>Whether there was such a message.</returns>
    public bool Restore(string tag, bool leftmost = false) => Pool.Use(c =>
    {
        // WATCH/MULTI/EXEC retried on a concurrent change, as redis-py's client.transaction does.
        for (var attempt = 0; ; attempt++)
        {
            c.Execute("WATCH", UnackedKey);
            var raw = c.Execute("HGET", UnackedKey, tag) as byte[];
            List<string>? queues = null;
            byte[]? payload = null;
            if (raw is not null)
            {
                (payload, var ex, var rk) = ParseUnackedRow(raw);
                queues = Lookup(ex, rk);
            }

            c.Write("MULTI");
            c.Write("ZREM", UnackedIndexKey, tag);
            c.Write("HDEL", UnackedKey, tag);
            foreach (var q in queues ?? [])
            {
                c.Write(leftmost ? "LPUSH" : "RPUSH", q, payload!);
            }

            c.Write("EXEC");
            c.Flush();
            if (ReadTransaction(c, 2 + (queues?.Count ?? 0)) is not null)
            {
                return raw is not null;
            }

            if (attempt > 100)
            {
                throw new IOException($"redis {Pool.Endpoint}: restoring {tag}: 'unacked' kept changing");
            }
        }
    });

    /// <summary>
    /// Restores every message delivered longer than <see cref="VisibilityTimeout"/> ago and never acknowledged: the
    /// work of a consumer that died (kombu <c>QoS.restore_visible</c>, under the same <c>unacked_mutex</c>).
    /// </summary>
    /// <returns>How many were restored; 0 when another consumer holds the mutex.</returns>
    public int RestoreVisible()
    {
        var token = Guid.NewGuid().ToString("N");
        if (Pool.Execute("SET", UnackedMutexKey, token, "PX", 300000, "NX") is null)
        {
            return 0;
        }

        try
        {
            var ceil = CeleryTime.Now() - VisibilityTimeout.TotalSeconds;
            var visible = Pool.Execute("ZREVRANGEBYSCORE", UnackedIndexKey, ceil, 0) as object?[] ?? [];
            var restored = 0;
            foreach (var tag in visible)
            {
                if (Restore(Encoding.UTF8.GetString((byte[])tag!)))
                {
                    restored++;
                }
            }

            return restored;
        }
        finally
        {
            Pool.Execute("EVAL", ReleaseMutexScript, 1, UnackedMutexKey, token);
        }
    }

    /// <summary>Closes the connections when this owns them.</summary>
    public void Dispose()
    {
        if (_ownsPool)
        {
            Pool.Dispose();
        }
    }

    // EXEC's reply: null when a WATCHed key changed; otherwise one reply per queued command.
    private static object?[]? ReadTransaction(RedisConnection c, int queued)
    {
        c.Read(c.ReplyTimeout); // +OK for MULTI
        for (var i = 0; i < queued; i++)
        {
            c.Read(c.ReplyTimeout); // +QUEUED
        }

        var exec = c.Read(c.ReplyTimeout);
        if (exec is object?[] replies)
        {
            foreach (var r in replies)
            {
                if (r is RedisException e)
                {
                    throw new RedisException(e.Message);
                }
            }

            return replies;
        }

        return null;
    }

    // The unacked row [envelope, exchange, routing_key]; the envelope gets redelivered = true as kombu sets it.
    private static (byte[] Payload, string Exchange, string RoutingKey) ParseUnackedRow(byte[] raw)
    {
        if (CeleryJson.Deserialize(raw) is not List<object?> { Count: 3 } row || row[0] is not Dictionary<string, object?> envelope)
        {
            throw new FormatException("an 'unacked' row is not [envelope, exchange, routing_key]");
        }

        if (envelope.GetValueOrDefault("headers") is Dictionary<string, object?> headers)
        {
            headers["redelivered"] = true;
        }

        if (envelope.GetValueOrDefault("properties") is Dictionary<string, object?> p && p.GetValueOrDefault("delivery_info") is Dictionary<string, object?> di)
        {
            di["redelivered"] = true;
        }

        return (CeleryJson.Serialize(envelope), row[1] as string ?? "", row[2] as string ?? "");
    }
}
