namespace Multiprocess.Celery.Worker;

/// <summary>
/// What the worker does when a task's hard time limit passes while its handler still runs on the worker's own
/// executor thread (the task is reported <c>TimeLimitExceeded</c> and acknowledged first in either case, and the
/// processes it registered with <see cref="TaskContext.KillOnHardTimeLimit"/> are killed).
/// </summary>
/// <remarks>
/// Celery's prefork pool kills the child process that runs the task, and with it the task's code; Celery's threads
/// pool applies no time limit at all. A .NET thread cannot be killed, so an in-process worker has two honest choices.
/// </remarks>
public enum HardTimeLimitAction
{
    /// <summary>
    /// The executor thread is abandoned and a new one takes its slot: the worker keeps its concurrency, and the
    /// abandoned code runs on (its token cancelled) until it returns; what it returns is dropped.
    /// </summary>
    AbandonThread,

    /// <summary>
    /// As prefork kills the child: when the handler has not returned within a second of the limit, the worker stops
    /// consuming, returns the messages it held but never started, closes its broker connection and ends the process
    /// with exit code <see cref="CeleryWorker.HardTimeLimitExitCode"/>, which stops the handler for certain. Tasks
    /// running on its other executors die with it and, unacknowledged, are delivered again (RabbitMQ: at once; Redis:
    /// after the visibility timeout). Run the worker under a supervisor that restarts it (systemd
    /// <c>Restart=on-failure</c>), as prefork's parent starts a new child.
    /// </summary>
    ExitProcess,
}
