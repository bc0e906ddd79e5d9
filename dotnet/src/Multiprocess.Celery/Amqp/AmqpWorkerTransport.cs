using Microsoft.Extensions.Logging;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Worker;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Multiprocess.Celery.Amqp;

/// <summary>
/// A worker's consumer on RabbitMQ as Celery's (py-amqp through kombu): one channel consumes every queue with
/// <c>basic.qos(prefetch, global)</c> (Celery applies it globally on RabbitMQ, whose per-consumer reading of the spec
/// differs), acknowledges with <c>basic.ack</c>, rejects with <c>basic.reject</c>; the broker itself returns every
/// unacknowledged message when the connection drops, so a killed worker's tasks are redelivered at once. The pidbox
/// is the node's own queue <c>&lt;hostname&gt;.celery.pidbox</c> bound to the fanout exchange <c>celery.pidbox</c>.
/// A lost connection (broker restarted) is recovered by the client library: channels, declarations, qos and consumers
/// come back; tasks running meanwhile store their results but their acks are lost, so the broker redelivers them
/// (at least once, as a Python worker's reconnection does).
/// </summary>
internal sealed class AmqpWorkerTransport : IWorkerTransport
{
    // Celery's control_queue_expires (10 s) and control_queue_ttl (300 s), declared as kombu's Mailbox.get_queue does.
    private static readonly Dictionary<string, object?> s_pidboxQueueArguments = new(StringComparer.Ordinal)
    {
        ["x-expires"] = 10_000,
        ["x-message-ttl"] = 300_000,
    };

    private readonly AmqpBroker _broker;
    private readonly ILogger _logger;
    private readonly string _hostname;
    private readonly Lock _consumerLock = new();
    private readonly Lock _controlLock = new();
    private readonly HashSet<string> _replyExchanges = new(StringComparer.Ordinal);
    private IChannel? _consumer;
    private IChannel? _control;
    private List<string> _consumerTags = [];

    public AmqpWorkerTransport(string url, ILogger logger, string hostname)
    {
        _broker = new AmqpBroker(url);
        _logger = logger;
        _hostname = hostname;
        _broker.Connection.ConnectionShutdownAsync += (_, e) =>
        {
            WorkerLog.ConnectionLost(_logger, _hostname, $"{e.Initiator}: {e.ReplyCode} {e.ReplyText}");
            return Task.CompletedTask;
        };
        _broker.Connection.RecoverySucceededAsync += (_, _) =>
        {
            WorkerLog.ConnectionRecovered(_logger, _hostname);
            return Task.CompletedTask;
        };
        _broker.Connection.ConnectionRecoveryErrorAsync += (_, e) =>
        {
            WorkerLog.ReconnectFailed(_logger, _hostname, e.Exception.Message);
            return Task.CompletedTask;
        };
    }

    public ITaskBroker Broker => _broker;

    public void StartConsuming(IReadOnlyList<string> queues, int prefetch, Action<BrokerMessage> deliver)
    {
        foreach (var q in queues)
        {
            _broker.DeclareQueue(q);
        }

        _consumer = _broker.Connection.CreateChannelAsync().GetAwaiter().GetResult();
        _consumer.BasicQosAsync(0, (ushort)Math.Min(prefetch, ushort.MaxValue), global: true).GetAwaiter().GetResult();
        var consumer = new AsyncEventingBasicConsumer(_consumer);
        consumer.ReceivedAsync += (_, e) =>
        {
            // The body's memory is the client's: FromDelivery copies it.
            deliver(AmqpBroker.FromDelivery(e.BasicProperties, e.Body, e.Exchange, e.RoutingKey, e.DeliveryTag, e.Redelivered));
            return Task.CompletedTask;
        };
        var tags = new List<string>();
        foreach (var q in queues)
        {
            tags.Add(_consumer.BasicConsumeAsync(q, autoAck: false, consumer).GetAwaiter().GetResult());
        }

        _consumerTags = tags;
    }

    public void StartControl(string hostname, Action<BrokerMessage> control)
    {
        _control = _broker.Connection.CreateChannelAsync().GetAwaiter().GetResult();
        var queue = $"{hostname}.celery.pidbox";
        _control.ExchangeDeclareAsync("celery.pidbox", ExchangeType.Fanout, durable: false, autoDelete: false).GetAwaiter().GetResult();
        _control.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true, arguments: s_pidboxQueueArguments).GetAwaiter().GetResult();
        _control.QueueBindAsync(queue, "celery.pidbox", "").GetAwaiter().GetResult();
        var consumer = new AsyncEventingBasicConsumer(_control);
        consumer.ReceivedAsync += (_, e) =>
        {
            var message = AmqpBroker.FromDelivery(e.BasicProperties, e.Body, e.Exchange, e.RoutingKey, e.DeliveryTag, e.Redelivered);

            // Replies publish on this channel: off the dispatcher, which must not wait for its own channel.
            _ = Task.Run(() => control(message));
            return Task.CompletedTask;
        };
        _control.BasicConsumeAsync(queue, autoAck: true, consumer).GetAwaiter().GetResult();
    }

    public void StopConsuming()
    {
        var channel = _consumer;
        if (channel is null || !channel.IsOpen)
        {
            return;
        }

        foreach (var tag in _consumerTags)
        {
            try
            {
                lock (_consumerLock)
                {
                    channel.BasicCancelAsync(tag).GetAwaiter().GetResult();
                }
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException or OperationCanceledException)
            {
                return;
            }
        }

        _consumerTags = [];
    }

    public void Ack(BrokerMessage message) => OnConsumer(ch => ch.BasicAckAsync(Tag(message), multiple: false));

    public void Reject(BrokerMessage message, bool requeue) => OnConsumer(ch => ch.BasicRejectAsync(Tag(message), requeue));

    public void Restore(BrokerMessage message)
    {
        try
        {
            Reject(message, requeue: true);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException)
        {
            // The channel is gone: the broker has requeued every unacknowledged delivery already.
            WorkerLog.RequeueFailed(_logger, _hostname, message.DeliveryTag, e.Message);
        }
    }

    public void Release(BrokerMessage message)
    {
        // basic.qos counts unacknowledged deliveries: the broker keeps the window.
    }

    public void PublishReply(BrokerMessage message, string exchange, string routingKey)
    {
        if (exchange.Length > 0)
        {
            lock (_controlLock)
            {
                if (_replyExchanges.Add(exchange))
                {
                    // kombu's _publish_reply declares it so: direct, not durable, not auto-deleted.
                    _control!.ExchangeDeclareAsync(exchange, ExchangeType.Direct, durable: false, autoDelete: false).GetAwaiter().GetResult();
                }
            }
        }

        _broker.Publish(message, exchange, routingKey);
    }

    public void PublishEvent(BrokerMessage message, string routingKey)
    {
        lock (_controlLock)
        {
            if (_replyExchanges.Add("celeryev"))
            {
                // celery/events/event.py event_exchange: Exchange('celeryev', type='topic'), kombu's defaults (durable).
                _control!.ExchangeDeclareAsync("celeryev", ExchangeType.Topic, durable: true, autoDelete: false).GetAwaiter().GetResult();
            }
        }

        _broker.Publish(message, "celeryev", routingKey);
    }

    public void Dispose()
    {
        foreach (var channel in new[] { _consumer, _control })
        {
            if (channel is null)
            {
                continue;
            }

            try
            {
                channel.CloseAsync().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException or OperationCanceledException)
            {
                // Gone with the connection.
            }

            channel.Dispose();
        }

        _broker.Dispose();
    }

    private static ulong Tag(BrokerMessage message) =>
        ulong.Parse(message.DeliveryTag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);

    private void OnConsumer(Func<IChannel, ValueTask> action)
    {
        var channel = _consumer ?? throw new InvalidOperationException("not consuming");
        lock (_consumerLock)
        {
            action(channel).AsTask().GetAwaiter().GetResult();
        }
    }
}
