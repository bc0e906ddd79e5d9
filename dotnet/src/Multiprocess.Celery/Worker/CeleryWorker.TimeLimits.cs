using Multiprocess.Pickle;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// Time limits as Celery's worker applies them (celery/worker/request.py <c>on_timeout</c>): the message's
/// <c>timelimit</c> header <c>[hard, soft]</c>, else the worker's defaults. At the soft limit the task's token is
/// cancelled; a handler that gives up with <see cref="OperationCanceledException"/> fails with
/// <c>SoftTimeLimitExceeded</c>, as Python's task sees the exception raised in it. At the hard limit the task is
/// reported FAILURE <c>TimeLimitExceeded(hard)</c>, acknowledged, and its executor thread is abandoned: a new one
/// takes its place, and whatever the old handler returns later is dropped. The processes the task registered
/// (<see cref="TaskContext.KillOnHardTimeLimit"/>) are killed, with their descendants, before the failure is stored.
/// A .NET thread cannot be killed as a prefork child is: by default abandoned code runs on until it returns (its
/// token is cancelled too); with <see cref="HardTimeLimitAction.ExitProcess"/> a handler that has not returned a
/// second later ends the worker process, which stops it for certain.
/// </summary>
public sealed partial class CeleryWorker
{
    /// <summary>
    /// The exit code of a worker process that ended because a handler outlived its hard time limit on its executor
    /// thread (<see cref="HardTimeLimitAction.ExitProcess"/>): 70, EX_SOFTWARE of sysexits.h.
    /// </summary>
    public const int HardTimeLimitExitCode = 70;

    // How long a handler whose processes were killed (and token cancelled) may take to return before ExitProcess ends
    // the worker: long enough for a thread woken by its process's death, short against any time limit.
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(1);

    private long _abandoned;

    /// <summary>Gets how many executor threads were abandoned to the hard time limit (their handlers still running or since returned).</summary>
    public long AbandonedExecutors => Interlocked.Read(ref _abandoned);

    private (TimeSpan? Soft, TimeSpan? Hard) TimeLimits(Protocol.TaskMessage task)
    {
        static TimeSpan? Seconds(double? s) => s is > 0 ? TimeSpan.FromSeconds(s.Value) : null;
        return (Seconds(task.SoftTimeLimit) ?? Options.SoftTimeLimit, Seconds(task.TimeLimit) ?? Options.TimeLimit);
    }

    private void OnHardTimeLimit(Delivery delivery, TimeSpan hard, CancellationTokenSource cancel)
    {
        if (!delivery.TryClaim())
        {
            return; // it returned just in time
        }

        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The executor left Execute in between: nothing to cancel.
        }

        var task = delivery.Task;
        var seconds = hard.TotalSeconds;
        WorkerLog.HardTimeLimit(Logger, Options.Hostname, seconds, Describe(task));
        if (delivery.Processes?.KillAll() is { Count: > 0 } killed)
        {
            WorkerLog.KilledProcesses(Logger, Options.Hostname, task.Id, string.Join(", ", killed));
        }
        if (delivery.Executor is { } stuck)
        {
            _threads.TryRemove(stuck, out _);
        }

        Interlocked.Increment(ref _abandoned);
        if (_consuming)
        {
            StartExecutor();
        }

        try
        {
            var exception = PyException.Create("billiard.exceptions", "TimeLimitExceeded", seconds);
            SendTaskEvent("task-failed", task, new() { ["exception"] = PyRepr.Repr(exception), ["traceback"] = null });
            Finish(delivery, Failed(task, exception, $"TimeLimitExceeded: hard time limit ({seconds}s) exceeded"));
        }
        catch (Exception e) when (e is IOException or Redis.RedisException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            WorkerLog.LeftForRedelivery(Logger, Options.Hostname, task.Id, e.Message);
        }
        finally
        {
            Done(delivery);
        }

        // The failure is stored and acknowledged: now the handler itself, if it still runs on its thread.
        if (Options.HardTimeLimitAction == HardTimeLimitAction.ExitProcess && delivery.Executor is { } thread && !thread.Join(ExitGrace))
        {
            ExitForHardTimeLimit(task);
        }
    }

    // The worker's equivalent of prefork killing its child: the process goes, and the handler's code with it. What
    // the broker must know goes first: unstarted messages back to their queues, the connection closed in order
    // (RabbitMQ requeues the running tasks' deliveries at once; on Redis they stay in 'unacked' for the visibility
    // timeout).
    private void ExitForHardTimeLimit(Protocol.TaskMessage task)
    {
        WorkerLog.ExitingForHardTimeLimit(Logger, Options.Hostname, Describe(task), ExitGrace.TotalSeconds, HardTimeLimitExitCode);
        _consuming = false;
        try
        {
            _transport.StopConsuming();
            foreach (var d in _held.Values.Where(d => !d.Started))
            {
                _transport.Restore(d.Message);
            }

            StopWorkerEvents();
            _backend?.Dispose();
            _transport.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or Redis.RedisException or RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            // Exiting regardless: what was not returned comes back after the visibility timeout (Redis) or with the
            // connection (RabbitMQ).
            WorkerLog.LeftForRedelivery(Logger, Options.Hostname, task.Id, e.Message);
        }

        Environment.Exit(HardTimeLimitExitCode);
    }
}
