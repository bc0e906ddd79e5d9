using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Worker;

/// <summary>Running one task and reporting it as celery/app/trace.py does.</summary>
public sealed partial class CeleryWorker
{
    // Returns false when the hard time limit reported the task first: the handler's late outcome is dropped.
    private bool Execute(Delivery delivery)
    {
        var task = delivery.Task;
        if (_revoked.ContainsKey(task.Id))
        {
            SendTaskEvent("task-revoked", task, new() { ["terminated"] = false, ["signum"] = null, ["expired"] = false });
            Finish(delivery, Revoked(task, "revoked"));
            return true;
        }

        if (task.Expires is { } expires && expires < DateTimeOffset.UtcNow)
        {
            SendTaskEvent("task-revoked", task, new() { ["terminated"] = false, ["signum"] = null, ["expired"] = true });
            Finish(delivery, Revoked(task, "expired"));
            return true;
        }

        if (!_handlers.TryGetValue(task.Task, out var handler))
        {
            // celery/worker/consumer/consumer.py on_unknown_task: reject without requeue, store NotRegistered.
            WorkerLog.Unregistered(Logger, Options.Hostname, task.Task, task.Id);
            Finish(delivery, Failed(task, PyException.Create("celery.exceptions", "NotRegistered", task.Task), null));
            return true;
        }

        if (Options.TrackStarted && !task.IgnoreResult)
        {
            StoreMeta(
                new ResultMeta
                {
                    Status = TaskStates.Started,
                    TaskId = task.Id,
                    Result = ResultValue(new Dictionary<string, object?> { ["pid"] = (long)Environment.ProcessId, ["hostname"] = Options.Hostname }),
                },
                task.ReplyTo);
        }

        if (Options.SendTaskEvents)
        {
            SendTaskEvent("task-started", task, []);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (softLimit, hardLimit) = TimeLimits(task);
        using var cancel = new CancellationTokenSource();
        if (softLimit is { } soft)
        {
            cancel.CancelAfter(soft);
        }

        var context = new TaskContext(task, Options.Hostname, cancel.Token);
        delivery.Processes = context.Processes;
        using var watchdog = hardLimit is { } hard ? new Timer(_ => OnHardTimeLimit(delivery, hard, cancel), null, hard, Timeout.InfiniteTimeSpan) : null;
        object? value = null;
        Exception? error = null;
        try
        {
            value = handler(context);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = e;
        }

        watchdog?.Dispose();
        if (!delivery.TryClaim())
        {
            WorkerLog.LateOutcomeDropped(Logger, Options.Hostname, Describe(task), error is null ? "success" : error.GetType().Name);
            return false;
        }

        ResultMeta meta;
        byte[]? serialized = null;
        try
        {
            if (error is not null)
            {
                throw error is OperationCanceledException && cancel.IsCancellationRequested
                    ? new PyRaisedException(PyException.Create("billiard.exceptions", "SoftTimeLimitExceeded"))
                    : error;
            }

            meta = new ResultMeta { Status = TaskStates.Success, TaskId = task.Id, Result = ResultValue(value), DateDone = DateTimeOffset.UtcNow };
            var bytes = Serialize(meta);
            ContinueWorkflow(delivery, value);
            if (Options.SendTaskEvents)
            {
                // Guarded here: the repr of a large result is not built for events nobody sends.
                SendTaskEvent("task-succeeded", task, new() { ["result"] = Multiprocess.Pickle.PyRepr.Repr(value), ["runtime"] = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds });
            }

            // Only now: a workflow step that failed above replaced the entry.
            serialized = bytes;
        }
        catch (TaskRetryException retry)
        {
            Republish(delivery, retry.Countdown);
            meta = new ResultMeta
            {
                Status = TaskStates.Retry,
                TaskId = task.Id,
                Result = ExceptionValue(PyException.Create("celery.exceptions", "Retry", retry.Message)),
                Traceback = retry.ToString(),
            };
            SendTaskEvent("task-retried", task, new() { ["exception"] = retry.Message, ["traceback"] = retry.ToString() });
        }
        catch (TaskRejectException reject)
        {
            WorkerLog.Rejected(Logger, Options.Hostname, Describe(task), reject.Requeue ? " (requeued)" : "", reject.Message);
            _transport.Reject(delivery.Message, reject.Requeue);
            SendTaskEvent("task-rejected", task, new() { ["requeue"] = reject.Requeue });
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var exception = PyException.FromException(e);
            meta = Failed(task, exception, e.ToString());
            SendTaskEvent("task-failed", task, new() { ["exception"] = Multiprocess.Pickle.PyRepr.Repr(exception), ["traceback"] = e.ToString() });
        }

        Finish(delivery, meta, serialized);
        return true;
    }

    // Stores the outcome (unless ignore_result), then acknowledges: a crash between the two redelivers the task,
    // whose new outcome does not overwrite a stored SUCCESS.
    // serialized: the entry as Serialize wrote it already, or null.
    private void Finish(Delivery delivery, ResultMeta meta, byte[]? serialized = null)
    {
        if (!delivery.Task.IgnoreResult || TaskStates.IsException(meta.Status))
        {
            StoreMeta(meta, delivery.Task.ReplyTo, serialized);
        }

        OnChordPartReturn(delivery, meta);

        if (meta.Status == TaskStates.Failure)
        {
            WorkerLog.Failed(Logger, Options.Hostname, Describe(delivery.Task), FirstLine(meta.Traceback) ?? meta.Status);
        }

        if (Options.AcksLate)
        {
            _transport.Ack(delivery.Message);
        }
    }

    private void StoreMeta(ResultMeta meta, string? replyTo, byte[]? serialized = null)
    {
        if (_backend is null)
        {
            return;
        }

        try
        {
            _backend.Store(meta, replyTo, serialized);
        }
        catch (ArgumentException e)
        {
            // The result has no form in the result serializer: report that instead, as Celery's EncodeError.
            _backend.Store(Failed(meta.TaskId, PyException.Create("kombu.exceptions", "EncodeError", e.Message), e.ToString()), replyTo);
        }
    }

    // The entry in the result serializer, once: a value without a form in it fails the task here (EncodeError), and the
    // bytes are the ones stored.
    private byte[]? Serialize(ResultMeta meta) => _backend?.Serializer is { } serializer ? meta.Serialize(serializer) : null;

    private void Republish(Delivery delivery, TimeSpan countdown)
    {
        var task = delivery.Task;
        var next = new TaskMessage
        {
            Id = task.Id,
            Task = task.Task,
            Lang = task.Lang,
            RootId = task.RootId,
            ParentId = task.ParentId,
            Group = task.Group,
            GroupIndex = task.GroupIndex,
            Shadow = task.Shadow,
            Eta = DateTimeOffset.UtcNow + countdown,
            Expires = task.Expires,
            Retries = task.Retries + 1,
            TimeLimit = task.TimeLimit,
            SoftTimeLimit = task.SoftTimeLimit,
            ArgsRepr = task.ArgsRepr,
            KwargsRepr = task.KwargsRepr,
            Origin = Options.Hostname,
            IgnoreResult = task.IgnoreResult,
            Args = task.Args,
            Kwargs = task.Kwargs,
            Callbacks = task.Callbacks,
            Errbacks = task.Errbacks,
            Chain = task.Chain,
            Chord = task.Chord,
            ReplyTo = task.ReplyTo,
            Priority = task.Priority,
        };
        var serializer = CelerySerializer.ForContentType(delivery.ContentType);
        _transport.Broker.Publish(TaskMessageCodec.Encode(next, serializer), delivery.Exchange, delivery.RoutingKey);
    }

    private ResultMeta Revoked(TaskMessage task, string reason) => new()
    {
        Status = TaskStates.Revoked,
        TaskId = task.Id,
        Result = ExceptionValue(PyException.Create("celery.exceptions", "TaskRevokedError", reason)),
        DateDone = DateTimeOffset.UtcNow,
    };

    private ResultMeta Failed(TaskMessage task, PyException exception, string? traceback) => Failed(task.Id, exception, traceback);

    private ResultMeta Failed(string taskId, PyException exception, string? traceback) => new()
    {
        Status = TaskStates.Failure,
        TaskId = taskId,
        Result = ExceptionValue(exception),
        Traceback = traceback,
        DateDone = DateTimeOffset.UtcNow,
    };

    // celery/backends/base.py prepare_exception: pickle keeps the exception object, json a dict of its parts.
    private object? ExceptionValue(PyException exception)
    {
        if (ReferenceEquals(Options.ResultSerializer, CelerySerializer.Pickle))
        {
            return exception;
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["exc_type"] = exception.TypeName,
            ["exc_message"] = new List<object?>(exception.Args),
            ["exc_module"] = exception.Type.Module,
        };
    }

    private object? ResultValue(object? value)
    {
        if (ReferenceEquals(Options.ResultSerializer, CelerySerializer.Pickle) && value is Dictionary<string, object?> d)
        {
            return TaskMessageCodec.ToPyDict(d);
        }

        return value;
    }

    private static string Describe(TaskMessage task) => $"{task.Task}[{task.Id}]";

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0];
}
