using Multiprocess.Celery.Protocol;
using RabbitMQ.Client;

namespace Multiprocess.Celery.Amqp;

/// <summary>
/// A RabbitMQ (AMQP 0-9-1) broker as Celery uses it through py-amqp: task queues are durable queues bound to the
/// direct exchange of the same name; messages carry the protocol v2 headers as an AMQP table and the serialized body
/// as is (no envelope, unlike Redis); control broadcasts go to the fanout exchange <c>celery.pidbox</c>.
/// </summary>
public sealed class AmqpBroker : ITaskBroker
{
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private readonly HashSet<string> _fanouts = new(StringComparer.Ordinal);
    private readonly IChannel _channel;

    /// <summary>Initializes a new instance of the <see cref="AmqpBroker"/> class and connects.</summary>
    /// <param name="url"><c>amqp://user:password@host:port/vhost</c> (kombu's <c>//</c> for the vhost <c>/</c>; <c>pyamqp://</c> too).</param>
    /// <exception cref="FormatException">Not an AMQP URL.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public AmqpBroker(string url)
    {
        Factory = CreateFactory(url);
        try
        {
            Connection = Factory.CreateConnectionAsync("multiprocess-celery").GetAwaiter().GetResult();
            _channel = Connection.CreateChannelAsync().GetAwaiter().GetResult();
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException e)
        {
            throw new IOException($"cannot connect to AMQP broker amqp://{Factory.HostName}:{Factory.Port}{Factory.VirtualHost}: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    /// <summary>Gets the connection settings.</summary>
    public ConnectionFactory Factory { get; }

    /// <summary>Gets the connection (channels for consumers are made from it).</summary>
    public IConnection Connection { get; }

    /// <summary>Returns whether a URL names an AMQP broker.</summary>
    /// <param name="url">The URL.</param>
    /// <returns><see langword="true"/> for amqp://, pyamqp://.</returns>
    public static bool Accepts(string url) =>
        url.StartsWith("amqp://", StringComparison.Ordinal) || url.StartsWith("pyamqp://", StringComparison.Ordinal);

    /// <inheritdoc/>
    public void DeclareQueue(string queue) => WithChannel(async ch =>
    {
        // As kombu declares Celery's default queue: durable, not auto-deleted, no arguments (any difference and
        // RabbitMQ refuses the second declaration with PRECONDITION_FAILED).
        await ch.ExchangeDeclareAsync(queue, ExchangeType.Direct, durable: true, autoDelete: false).ConfigureAwait(false);
        await ch.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: null).ConfigureAwait(false);
        await ch.QueueBindAsync(queue, queue, queue).ConfigureAwait(false);
    });

    /// <inheritdoc/>
    public void Publish(BrokerMessage message, string exchange, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(message);
        var props = ToProperties(message);
        WithChannel(ch => ch.BasicPublishAsync(exchange, routingKey, mandatory: false, props, message.Body).AsTask());
    }

    /// <inheritdoc/>
    public void PublishFanout(BrokerMessage message, string exchange, string routingKey)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_fanouts)
        {
            if (_fanouts.Add(exchange))
            {
                // kombu's Mailbox declares it so: fanout, not durable, not auto-deleted (kombu Exchange's default);
                // any difference and RabbitMQ refuses the declaration of whoever comes second.
                WithChannel(ch => ch.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: false, autoDelete: false));
            }
        }

        Publish(message, exchange, routingKey);
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose()
    {
        try
        {
            _channel.CloseAsync().GetAwaiter().GetResult();
            Connection.CloseAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException or OperationCanceledException)
        {
            // Already gone.
        }

        _channel.Dispose();
        Connection.Dispose();
        _channelLock.Dispose();
    }

    /// <summary>Reads a delivered message into the model.</summary>
    /// <param name="props">Its properties.</param>
    /// <param name="body">Its body.</param>
    /// <param name="exchange">The exchange it came through.</param>
    /// <param name="routingKey">Its routing key.</param>
    /// <param name="deliveryTag">Its delivery tag.</param>
    /// <param name="redelivered">Whether the broker delivered it before.</param>
    /// <returns>The message.</returns>
    public static BrokerMessage FromDelivery(IReadOnlyBasicProperties props, ReadOnlyMemory<byte> body, string exchange, string routingKey, ulong deliveryTag, bool redelivered)
    {
        ArgumentNullException.ThrowIfNull(props);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["correlation_id"] = props.CorrelationId,
            ["reply_to"] = props.ReplyTo,
            ["priority"] = (long)props.Priority,
            ["delivery_mode"] = (long)props.DeliveryMode,
        };
        return new BrokerMessage
        {
            Body = body.ToArray(),
            ContentType = props.ContentType ?? "application/data",
            ContentEncoding = props.ContentEncoding ?? "binary",
            Headers = AmqpTable.FromTable(props.Headers),
            Properties = properties,
            Exchange = exchange,
            RoutingKey = routingKey,
            DeliveryTag = deliveryTag.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Redelivered = redelivered,
        };
    }

    private static BasicProperties ToProperties(BrokerMessage message)
    {
        var p = message.Properties;
        var props = new BasicProperties
        {
            ContentType = message.ContentType,
            ContentEncoding = message.ContentEncoding,
            Headers = AmqpTable.ToTable(message.Headers),
            DeliveryMode = p.GetValueOrDefault("delivery_mode") is 1L ? DeliveryModes.Transient : DeliveryModes.Persistent,
            Priority = (byte)Math.Clamp(message.Priority, 0, 255),
        };
        if (p.GetValueOrDefault("correlation_id") is string cid)
        {
            props.CorrelationId = cid;
        }

        if (p.GetValueOrDefault("reply_to") is string replyTo)
        {
            props.ReplyTo = replyTo;
        }

        if (p.GetValueOrDefault("expiration") is string expiration)
        {
            props.Expiration = expiration;
        }

        return props;
    }

    private static ConnectionFactory CreateFactory(string url)
    {
        if (!Accepts(url) || !Uri.TryCreate("amqp" + url[url.IndexOf("://", StringComparison.Ordinal)..], UriKind.Absolute, out var uri))
        {
            throw new FormatException($"'{url}' is not an AMQP URL (amqp://user:password@host:port/vhost)");
        }

        var factory = new ConnectionFactory
        {
            HostName = uri.Host.Length > 0 ? uri.Host : "localhost",
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5672 : uri.Port,

            // A restarted or unreachable broker: reconnect, re-declare what this connection declared and resume its
            // consumers (kombu's ensure_connection retries as well); unacknowledged deliveries were requeued by the
            // broker, and acks of deliveries from before the reconnection are dropped by the client.
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(1),

            // Large messages are read in 128 KiB chunks, not the frame reader's 4 KiB.
            SocketFactory = ReadBufferedTcpClient.Create,
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
            factory.UserName = parts[0];
            factory.Password = parts.Length > 1 ? parts[1] : "";
        }

        // kombu: the path after the first '/' is the vhost; '' and '/' both mean '/'.
        var vhost = uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(uri.AbsolutePath[1..]) : "/";
        factory.VirtualHost = vhost.Length == 0 ? "/" : vhost;
        return factory;
    }

    private void WithChannel(Func<IChannel, Task> action)
    {
        _channelLock.Wait();
        try
        {
            action(_channel).GetAwaiter().GetResult();
        }
        finally
        {
            _channelLock.Release();
        }
    }
}
