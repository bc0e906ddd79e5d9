using Multiprocess.Celery.Redis;
using Multiprocess.Celery.Results;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// A header task of a chord reports its end to the Redis chord counter (<see cref="RedisChords"/>) after storing
/// its result, as celery/backends/base.py <c>mark_as_done</c>/<c>mark_as_failure</c> call
/// <c>on_chord_part_return</c>; the task that completes the header sends the body with the results, or fails the
/// body with <c>ChordError</c> when a part failed (<c>chord_error_from_stack</c>).
/// </summary>
public sealed partial class CeleryWorker
{
    private void OnChordPartReturn(Delivery delivery, ResultMeta meta)
    {
        var task = delivery.Task;
        if (task.Chord is null || task.Group is not { } groupId || !TaskStates.IsReady(meta.Status))
        {
            return;
        }

        if (_backend is not RedisWorkerResults redis)
        {
            WorkerLog.ChordWithoutCounter(Logger, Options.Hostname, Describe(task), groupId);
            return;
        }

        var parts = RedisChords.PartReturn(redis.Backend, task.Id, groupId, task.GroupIndex, meta.Status, meta.Result);
        if (parts is null)
        {
            return;
        }

        var body = AsDict(task.Chord);
        var bodyId = AsDict(body?.GetValueOrDefault("options"))?.GetValueOrDefault("task_id") as string;
        try
        {
            var failed = parts.FindIndex(p => p.State is TaskStates.Failure or TaskStates.Revoked);
            if (failed >= 0)
            {
                var (tid, _, value) = parts[failed];
                var error = PyException.Create("celery.exceptions", "ChordError", $"Dependency {tid} raised {DescribeError(value)}");
                if (bodyId is not null)
                {
                    StoreMeta(Failed(bodyId, error, null), task.ReplyTo);
                }

                WorkerLog.ChordFailed(Logger, Options.Hostname, groupId, $"{error.Args.FirstOrDefault()}");
                return;
            }

            SendSignature(delivery, task.Chord, parts.Select(p => p.Result).ToList(), null);
        }
        finally
        {
            RedisChords.Delete(redis.Backend, groupId);
        }
    }

    // repr() of a stored exception: its json dict {exc_type, exc_message} or the pickled exception.
    private static string DescribeError(object? value) => value switch
    {
        PyException e => PyRepr.Repr(e),
        Dictionary<string, object?> d when d.GetValueOrDefault("exc_type") is string type =>
            $"{type}({string.Join(", ", AsList(d.GetValueOrDefault("exc_message")).Select(PyRepr.Repr))})",
        _ => PyRepr.Repr(value),
    };
}
