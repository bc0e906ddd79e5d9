using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery;

/// <summary>Options of <see cref="CeleryClient.SendTask"/>, named after <c>apply_async</c>'s.</summary>
public sealed class SendOptions
{
    /// <summary>Gets or sets the task id (a new uuid when null).</summary>
    public string? TaskId { get; set; }

    /// <summary>Gets or sets a delay before the task may run (sets <see cref="Eta"/>).</summary>
    public TimeSpan? Countdown { get; set; }

    /// <summary>Gets or sets the earliest time it may run.</summary>
    public DateTimeOffset? Eta { get; set; }

    /// <summary>Gets or sets the time after which workers revoke it unrun.</summary>
    public DateTimeOffset? Expires { get; set; }

    /// <summary>Gets or sets the retry count it starts from.</summary>
    public long Retries { get; set; }

    /// <summary>Gets or sets the priority (0–9; on Redis 0 is served first, as kombu does it).</summary>
    public int? Priority { get; set; }

    /// <summary>Gets or sets the queue (routing key on the default exchange). Default: the client's default queue.</summary>
    public string? Queue { get; set; }

    /// <summary>Gets or sets the exchange; with <see cref="RoutingKey"/>, routes by the exchange's bindings.</summary>
    public string? Exchange { get; set; }

    /// <summary>Gets or sets the routing key.</summary>
    public string? RoutingKey { get; set; }

    /// <summary>Gets or sets the serializer (the client's default when null).</summary>
    public CelerySerializer? Serializer { get; set; }

    /// <summary>Gets or sets a value indicating whether the worker should store no result.</summary>
    public bool IgnoreResult { get; set; }

    /// <summary>Gets or sets the hard time limit in seconds.</summary>
    public double? TimeLimit { get; set; }

    /// <summary>Gets or sets the soft time limit in seconds.</summary>
    public double? SoftTimeLimit { get; set; }

    /// <summary>Gets or sets the parent task id (workflow).</summary>
    public string? ParentId { get; set; }

    /// <summary>Gets or sets the root task id (workflow).</summary>
    public string? RootId { get; set; }

    /// <summary>Gets or sets the group id.</summary>
    public string? GroupId { get; set; }
}
