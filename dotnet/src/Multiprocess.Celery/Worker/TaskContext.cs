using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery.Worker;

/// <summary>What a task handler sees of its request (Celery's <c>self.request</c>), and <see cref="Retry"/>.</summary>
public sealed class TaskContext
{
    internal TaskContext(TaskMessage message, string hostname, CancellationToken softTimeLimit, TaskProcesses? processes = null)
    {
        Message = message;
        Hostname = hostname;
        SoftTimeLimit = softTimeLimit;
        Processes = processes ?? new TaskProcesses();
    }

    /// <summary>Gets the task message.</summary>
    public TaskMessage Message { get; }

    /// <summary>Gets the task id.</summary>
    public string Id => Message.Id;

    /// <summary>Gets the positional arguments.</summary>
    public IReadOnlyList<object?> Args => Message.Args;

    /// <summary>Gets the keyword arguments.</summary>
    public IReadOnlyDictionary<string, object?> Kwargs => Message.Kwargs;

    /// <summary>Gets how many times this task was retried.</summary>
    public long Retries => Message.Retries;

    /// <summary>Gets the worker's node name.</summary>
    public string Hostname { get; }

    /// <summary>Gets a token cancelled when the soft time limit passes.</summary>
    public CancellationToken SoftTimeLimit { get; }

    /// <summary>Gets the processes the hard time limit kills (shared by the items of a <c>celery.map</c>).</summary>
    internal TaskProcesses Processes { get; }

    /// <summary>
    /// Has the worker SIGKILL <paramref name="process"/> and its descendants when this task's hard time limit passes,
    /// as Celery's prefork pool kills the child running the task, before the task is reported
    /// <c>TimeLimitExceeded</c>. A .NET thread cannot be killed: work that may hang belongs in a process registered
    /// here (killed at once if the limit has passed already).
    /// </summary>
    /// <param name="process">A process the handler started.</param>
    public void KillOnHardTimeLimit(System.Diagnostics.Process process) => Processes.Add(process);

    /// <summary>Asks for the task to run again later (Celery's <c>self.retry</c>); throw what it returns.</summary>
    /// <param name="countdown">The delay (Celery's default_retry_delay, 3 minutes, when null).</param>
    /// <param name="reason">The exception that caused the retry.</param>
    /// <param name="maxRetries">The limit (3 as in Celery); beyond it the reason (or MaxRetriesExceededError) fails the task.</param>
    /// <returns>The exception to throw.</returns>
    public Exception Retry(TimeSpan? countdown = null, Exception? reason = null, int maxRetries = 3) =>
        Message.Retries >= maxRetries
            ? reason ?? new MaxRetriesExceededException($"Can't retry {Message.Task}[{Message.Id}] args:{Message.ArgsRepr} kwargs:{Message.KwargsRepr}")
            : new TaskRetryException(countdown ?? TimeSpan.FromMinutes(3), reason);
}
