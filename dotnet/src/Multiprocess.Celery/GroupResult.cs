using Multiprocess.Celery.Results;

namespace Multiprocess.Celery;

/// <summary>The results of a group's tasks, in the order they were given (Celery's <c>GroupResult</c>).</summary>
public sealed class GroupResult
{
    internal GroupResult(string id, IReadOnlyList<AsyncResult> results)
    {
        Id = id;
        Results = results;
    }

    /// <summary>Gets the group id (the <c>group</c> header of every task in it).</summary>
    public string Id { get; }

    /// <summary>Gets one handle per task, in order.</summary>
    public IReadOnlyList<AsyncResult> Results { get; }

    /// <summary>Gets how many tasks are ready (SUCCESS, FAILURE, REVOKED).</summary>
    public int CompletedCount => Results.Count(r => r.Ready);

    /// <summary>Waits for every result, in order (<c>GroupResult.get</c>, <c>join</c>).</summary>
    /// <param name="timeout">How long to wait in all.</param>
    /// <returns>The return values in the group's order.</returns>
    /// <exception cref="TimeoutException">Not all ready in time.</exception>
    /// <exception cref="CeleryTaskException">A task failed or was revoked (the first in order).</exception>
    public List<object?> Get(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var values = new List<object?>(Results.Count);
        foreach (var r in Results)
        {
            var left = deadline - DateTime.UtcNow;
            values.Add(r.Get(left > TimeSpan.Zero ? left : TimeSpan.Zero));
        }

        return values;
    }

    /// <inheritdoc/>
    public override string ToString() => Id;
}
