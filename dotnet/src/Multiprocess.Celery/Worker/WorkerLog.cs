using Microsoft.Extensions.Logging;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// What a <see cref="CeleryWorker"/> and its transports log (<see cref="WorkerOptions.Logger"/>), at the levels
/// Celery's worker uses for the same events (celery/app/trace.py, celery/worker/request.py, kombu's transports):
/// task failures at error, time limits and dropped messages at warning/error, start, stop and revocations at info.
/// Every message names the worker (<see cref="WorkerOptions.Hostname"/>), as several may share one logger.
/// </summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "{Hostname}: consuming {Queues} (concurrency {Concurrency}, tasks: {Tasks})")]
    public static partial void Consuming(ILogger logger, string hostname, string queues, int concurrency, string tasks);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "{Hostname}: stopped")]
    public static partial void Stopped(ILogger logger, string hostname);

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "{Hostname}: rejected message {DeliveryTag} from {RoutingKey}: {Reason}")]
    public static partial void Undecodable(ILogger logger, string hostname, string deliveryTag, string routingKey, string reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "{Hostname}: task {TaskId}: {Reason} (left unacknowledged for redelivery)")]
    public static partial void LeftForRedelivery(ILogger logger, string hostname, string taskId, string reason);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Hostname}: received unregistered task of type '{TaskName}' ({TaskId}): rejected")]
    public static partial void Unregistered(ILogger logger, string hostname, string taskName, string taskId);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "{Hostname}: task {Task} returned after its hard time limit: outcome dropped ({Outcome})")]
    public static partial void LateOutcomeDropped(ILogger logger, string hostname, string task, string outcome);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "{Hostname}: task {Task} rejected{Requeued}: {Reason}")]
    public static partial void Rejected(ILogger logger, string hostname, string task, string requeued, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Error, Message = "{Hostname}: task {Task} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string hostname, string task, string reason);

    [LoggerMessage(EventId = 209, Level = LogLevel.Error, Message = "{Hostname}: hard time limit ({Seconds}s) exceeded for {Task}")]
    public static partial void HardTimeLimit(ILogger logger, string hostname, double seconds, string task);

    [LoggerMessage(EventId = 216, Level = LogLevel.Critical, Message = "{Hostname}: task {Task} still runs on its thread {Grace}s after its hard time limit: exiting with code {ExitCode} (hard time limit action: exit the process)")]
    public static partial void ExitingForHardTimeLimit(ILogger logger, string hostname, string task, double grace, int exitCode);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "{Hostname}: task {TaskId}: killed process {Pids} (SIGKILL, with its children)")]
    public static partial void KilledProcesses(ILogger logger, string hostname, string taskId, string pids);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "{Hostname}: revoked {TaskIds}")]
    public static partial void Revoked(ILogger logger, string hostname, string taskIds);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "{Hostname}: control message ignored: {Reason}")]
    public static partial void ControlIgnored(ILogger logger, string hostname, string reason);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "{Hostname}: task {Task} is part of chord {GroupId}, but the result backend cannot count chords (Redis only, as in Celery)")]
    public static partial void ChordWithoutCounter(ILogger logger, string hostname, string task, string groupId);

    [LoggerMessage(EventId = 214, Level = LogLevel.Error, Message = "{Hostname}: chord {GroupId}: {Reason}")]
    public static partial void ChordFailed(ILogger logger, string hostname, string groupId, string reason);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning, Message = "{Hostname}: event {EventType} not sent: {Reason}")]
    public static partial void EventNotSent(ILogger logger, string hostname, string eventType, string reason);

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "{Hostname}: broker connection lost ({Reason}); reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string hostname, string reason);

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "{Hostname}: broker connection recovered: consuming again")]
    public static partial void ConnectionRecovered(ILogger logger, string hostname);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "{Hostname}: broker reconnection failed: {Reason} (retrying)")]
    public static partial void ReconnectFailed(ILogger logger, string hostname, string reason);

    [LoggerMessage(EventId = 223, Level = LogLevel.Warning, Message = "{Hostname}: could not requeue {DeliveryTag}: {Reason} (the broker requeues it with the channel)")]
    public static partial void RequeueFailed(ILogger logger, string hostname, string deliveryTag, string reason);

    [LoggerMessage(EventId = 224, Level = LogLevel.Warning, Message = "{Hostname}: could not restore {DeliveryTag} ({Reason}): it returns after the visibility timeout")]
    public static partial void RestoreOneFailed(ILogger logger, string hostname, string deliveryTag, string reason);

    [LoggerMessage(EventId = 225, Level = LogLevel.Error, Message = "{Hostname}: dropped a message from {Queue} that is not a kombu envelope: {Reason}")]
    public static partial void NotAnEnvelope(ILogger logger, string hostname, string queue, string reason);

    [LoggerMessage(EventId = 226, Level = LogLevel.Information, Message = "{Hostname}: restored {Count} unacknowledged message(s) older than the visibility timeout")]
    public static partial void Restored(ILogger logger, string hostname, long count);

    [LoggerMessage(EventId = 227, Level = LogLevel.Warning, Message = "{Hostname}: restore: {Reason}")]
    public static partial void RestoreFailed(ILogger logger, string hostname, string reason);
}
