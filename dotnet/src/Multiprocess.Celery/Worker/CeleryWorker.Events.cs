using System.Globalization;
using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// Worker and task events as celery/events/dispatcher.py sends them, so <c>celery events</c>, flower and
/// <c>app.events.State</c> see C# workers: a JSON dict <c>{type, hostname, utcoffset, pid, clock, timestamp,
/// …fields}</c> with header <c>hostname</c>, transient, to the exchange <c>celeryev</c> with the type's dashes as
/// dots for routing key (<c>task.succeeded</c>); on Redis the exchange is a fanout (PUBLISH
/// <c>/{db}.celeryev/task.succeeded</c>), on RabbitMQ a durable topic exchange. worker-online, worker-heartbeat
/// (every <see cref="WorkerOptions.HeartbeatInterval"/>, with <c>freq</c>, <c>active</c>, <c>processed</c>,
/// <c>loadavg</c>, <c>sw_*</c>) and worker-offline are sent unless the interval is null; task-received/started/
/// succeeded/failed/retried/rejected/revoked only with <see cref="WorkerOptions.SendTaskEvents"/> (<c>-E</c>).
/// </summary>
public sealed partial class CeleryWorker
{
    private Timer? _heartbeat;
    private int _active;

    private void StartWorkerEvents()
    {
        if (Options.HeartbeatInterval is not { } interval)
        {
            return;
        }

        SendWorkerEvent("worker-online");
        _heartbeat = new Timer(_ => SendWorkerEvent("worker-heartbeat"), null, interval, interval);
    }

    private void StopWorkerEvents()
    {
        if (_heartbeat is null)
        {
            return;
        }

        _heartbeat.Dispose();
        _heartbeat = null;
        SendWorkerEvent("worker-offline");
    }

    private void SendWorkerEvent(string type) => SendEvent(type, new()
    {
        ["freq"] = Options.HeartbeatInterval?.TotalSeconds ?? 0.0,
        ["active"] = (long)Volatile.Read(ref _active),
        ["processed"] = Processed,
        ["loadavg"] = LoadAverage(),
        ["sw_ident"] = "multiprocess-celery",
        ["sw_ver"] = typeof(CeleryWorker).Assembly.GetName().Version?.ToString(3) ?? "0",
        ["sw_sys"] = OperatingSystem.IsLinux() ? "Linux" : Environment.OSVersion.Platform.ToString(),
    });

    private void SendTaskEvent(string type, TaskMessage task, Dictionary<string, object?> fields)
    {
        if (!Options.SendTaskEvents)
        {
            return;
        }

        fields["uuid"] = task.Id;
        SendEvent(type, fields);
    }

    private void SendEvent(string type, Dictionary<string, object?> fields)
    {
        fields["type"] = type;
        fields["hostname"] = Options.Hostname;
        fields["utcoffset"] = (long)-Math.Floor(TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow).TotalHours);
        fields["pid"] = (long)Environment.ProcessId;
        fields["clock"] = Interlocked.Increment(ref _clock);
        fields["timestamp"] = CeleryTime.Now();
        var message = new BrokerMessage
        {
            Body = CeleryJson.Serialize(fields),
            ContentType = CelerySerializer.Json.ContentType,
            ContentEncoding = CelerySerializer.Json.ContentEncoding,
            Headers = { ["hostname"] = Options.Hostname },
            Properties = { ["delivery_mode"] = 1L, ["priority"] = 0L },
        };
        try
        {
            _transport.PublishEvent(message, type.Replace('-', '.'));
        }
        catch (Exception e) when (e is IOException or Redis.RedisException or RabbitMQ.Client.Exceptions.RabbitMQClientException or ObjectDisposedException)
        {
            // Events are best effort, as Celery's (buffer_while_offline aside): the task's outcome does not depend on them.
            WorkerLog.EventNotSent(Logger, Options.Hostname, type, e.Message);
        }
    }

    // celery/utils/sysinfo.py load_average: the 1, 5, 15 minute averages rounded to 2 places.
    private static List<object?> LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return [.. parts.Take(3).Select(p => (object?)Math.Round(double.Parse(p, CultureInfo.InvariantCulture), 2))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return [0.0, 0.0, 0.0];
        }
    }
}
