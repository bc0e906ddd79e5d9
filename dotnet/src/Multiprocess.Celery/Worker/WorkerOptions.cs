using Microsoft.Extensions.Logging;
using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery.Worker;

/// <summary>Settings of a <see cref="CeleryWorker"/>, named after Celery's worker settings.</summary>
public sealed class WorkerOptions
{
    /// <summary>Gets or sets the queues consumed (<c>-Q</c>; Celery's default queue is <c>celery</c>).</summary>
    public IReadOnlyList<string> Queues { get; set; } = ["celery"];

    /// <summary>Gets or sets how many tasks run at once (<c>--concurrency</c>).</summary>
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets worker_prefetch_multiplier: at most Concurrency × this messages are held unacknowledged.</summary>
    public int PrefetchMultiplier { get; set; } = 4;

    /// <summary>Gets or sets the serializer of stored results (result_serializer).</summary>
    public CelerySerializer ResultSerializer { get; set; } = CelerySerializer.Json;

    /// <summary>Gets or sets a value indicating whether STARTED is stored before a task runs (task_track_started; off in Celery).</summary>
    public bool TrackStarted { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether messages are acknowledged after the task ran (task_acks_late). On by
    /// default here, unlike Celery: a worker killed mid-task then loses nothing, the broker redelivers after the
    /// visibility timeout.
    /// </summary>
    public bool AcksLate { get; set; } = true;

    /// <summary>Gets or sets the Redis visibility timeout (broker_transport_options['visibility_timeout'], 1 hour).</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets how often expired unacknowledged messages are looked for (and once at start).</summary>
    public TimeSpan RestoreInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the hard time limit of tasks whose message sets none (task_time_limit, <c>--time-limit</c>): the
    /// task is reported FAILURE TimeLimitExceeded, then <see cref="HardTimeLimitAction"/> applies.
    /// </summary>
    public TimeSpan? TimeLimit { get; set; }

    /// <summary>
    /// Gets or sets what the hard time limit does to a handler still running on its executor thread (<c>--hard-time-limit-action</c>):
    /// abandon the thread (the default) or end the worker process, as prefork kills its child.
    /// </summary>
    public HardTimeLimitAction HardTimeLimitAction { get; set; } = HardTimeLimitAction.AbandonThread;

    /// <summary>Gets or sets the soft time limit of tasks whose message sets none (task_soft_time_limit): the task's token is cancelled.</summary>
    public TimeSpan? SoftTimeLimit { get; set; }

    /// <summary>Gets or sets a value indicating whether task events are sent (worker_send_task_events, <c>-E</c>).</summary>
    public bool SendTaskEvents { get; set; }

    /// <summary>
    /// Gets or sets how often worker-heartbeat is sent (2 s as Celery's worker; worker-online and worker-offline
    /// come with it); null sends no worker events (<c>--without-heartbeat</c>).
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the node name (<c>-n</c>), shown by <c>celery inspect</c>.</summary>
    public string Hostname { get; set; } = $"multiprocess{Environment.ProcessId}@{System.Net.Dns.GetHostName()}";

    /// <summary>
    /// Gets or sets where the worker logs (nowhere when null, as the engine's <c>PoolOptions.Logger</c>; the
    /// <c>multiprocess celery worker</c> command logs to stderr): task failures, time limits, broker reconnections.
    /// </summary>
    public ILogger? Logger { get; set; }
}
