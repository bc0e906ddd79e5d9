using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// The worker's side of the pidbox (kombu/pidbox.py, celery/worker/control.py): broadcast commands arrive on the
/// fanout exchange <c>celery.pidbox</c> (Redis channel <c>/{db}.celery.pidbox</c>); replies go to the direct
/// exchange <c>reply.celery.pidbox</c>, whose binding names the caller's reply queue.
/// </summary>
public sealed partial class CeleryWorker
{
    private const string ReplyExchange = "reply.celery.pidbox";
    private long _clock;

    private void OnControl(BrokerMessage message)
    {
        try
        {
            if (CelerySerializer.ForContentType(message.ContentType).Deserialize(message.Body) is not Dictionary<string, object?> body
                || body.GetValueOrDefault("method") is not string method)
            {
                return;
            }

            if (body.GetValueOrDefault("destination") is List<object?> destination && !destination.Contains(Options.Hostname))
            {
                return;
            }

            var arguments = body.GetValueOrDefault("arguments") as Dictionary<string, object?> ?? [];
            object? reply;
            switch (method)
            {
                case "revoke":
                    var ids = arguments.GetValueOrDefault("task_id") switch
                    {
                        string one => [one],
                        List<object?> many => many.OfType<string>().ToList(),
                        _ => [],
                    };
                    foreach (var id in ids)
                    {
                        _revoked.TryAdd(id, 0);
                    }

                    WorkerLog.Revoked(Logger, Options.Hostname, string.Join(", ", ids));
                    reply = new Dictionary<string, object?> { ["ok"] = $"tasks {string.Join(", ", ids)} flagged as revoked" };
                    break;
                case "ping":
                    reply = new Dictionary<string, object?> { ["ok"] = "pong" };
                    break;
                default:
                    // Commands this worker does not implement get no reply, so the caller's timeout tells.
                    return;
            }

            if (body.GetValueOrDefault("reply_to") is Dictionary<string, object?> replyTo && body.GetValueOrDefault("ticket") is string ticket)
            {
                Reply(replyTo, ticket, reply);
            }
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or IOException or RedisException or InvalidOperationException or RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            WorkerLog.ControlIgnored(Logger, Options.Hostname, e.Message);
        }
    }

    // kombu Mailbox._publish_reply: {hostname: reply} to exchange reply.celery.pidbox, routing key from reply_to.
    private void Reply(Dictionary<string, object?> replyTo, string ticket, object? reply)
    {
        var exchange = replyTo.GetValueOrDefault("exchange") as string ?? ReplyExchange;
        var routingKey = replyTo.GetValueOrDefault("routing_key") as string ?? "";
        var message = new BrokerMessage
        {
            Body = CeleryJson.Serialize(new Dictionary<string, object?> { [Options.Hostname] = reply }),
            ContentType = CelerySerializer.Json.ContentType,
            ContentEncoding = CelerySerializer.Json.ContentEncoding,
            Headers = { ["ticket"] = ticket, ["clock"] = Interlocked.Increment(ref _clock) },
            Properties = { ["delivery_mode"] = 1L, ["priority"] = 0L },
        };
        _transport.PublishReply(message, exchange, routingKey);
    }
}
