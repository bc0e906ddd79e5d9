using Multiprocess.Celery.Results;

namespace Multiprocess.Celery;

/// <summary>What a client needs of a result backend: read an entry, wait for a ready one, forget one.</summary>
public interface IResultBackend : IDisposable
{
    /// <summary>Gets the queue results are sent back to (the RPC backend's <c>reply_to</c>); null for stores such as Redis.</summary>
    string? ReplyTo { get; }

    /// <summary>Reads the latest entry of a task.</summary>
    /// <param name="taskId">The id.</param>
    /// <returns>The entry, or null when nothing is known (PENDING).</returns>
    ResultMeta? GetMeta(string taskId);

    /// <summary>
    /// Waits until a task's entry is ready (SUCCESS, FAILURE, REVOKED). A backend without a store of its own (RPC) hands
    /// the ready entry over and forgets it: <see cref="AsyncResult"/> keeps it.
    /// </summary>
    /// <param name="taskId">The id.</param>
    /// <param name="timeout">How long.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="TimeoutException">Not ready in time.</exception>
    ResultMeta WaitReady(string taskId, TimeSpan timeout);

    /// <summary>Forgets a task's entry.</summary>
    /// <param name="taskId">The id.</param>
    void Forget(string taskId);
}
