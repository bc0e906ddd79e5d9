using Multiprocess.Celery.Results;

namespace Multiprocess.Celery;

/// <summary>A handle on a sent task's result, as Celery's <c>AsyncResult</c>.</summary>
public sealed class AsyncResult
{
    private readonly CeleryClient _client;

    // The ready entry once Get has seen it (Celery's AsyncResult caches it too): the RPC backend hands a ready entry
    // over once and then forgets it, so that a long-lived client does not keep every result it ever received.
    private volatile ResultMeta? _ready;

    internal AsyncResult(CeleryClient client, string id)
    {
        _client = client;
        Id = id;
    }

    /// <summary>Gets the task id.</summary>
    public string Id { get; }

    /// <summary>Gets the current state (PENDING when the backend knows nothing yet).</summary>
    /// <exception cref="InvalidOperationException">The client has no result backend.</exception>
    public string State => Meta?.Status ?? TaskStates.Pending;

    /// <summary>Gets a value indicating whether the task is in a ready state.</summary>
    public bool Ready => TaskStates.IsReady(State);

    /// <summary>Gets the current entry (null when PENDING).</summary>
    public ResultMeta? Meta => _ready ?? _client.Backend.GetMeta(Id);

    /// <summary>Waits for the result.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The return value, in the result serializer's value model.</returns>
    /// <exception cref="TimeoutException">Not ready in time.</exception>
    /// <exception cref="CeleryTaskException">The task failed or was revoked.</exception>
    public object? Get(TimeSpan timeout)
    {
        var meta = _ready ??= _client.Backend.WaitReady(Id, timeout);
        return meta.Status == TaskStates.Success ? meta.Result : throw CeleryTaskException.FromMeta(meta);
    }

    /// <summary>Revokes the task: workers that have not run it yet mark it REVOKED instead.</summary>
    /// <param name="terminate">Whether a worker running it should also kill it.</param>
    /// <param name="signal">The signal name for terminate (SIGTERM when null).</param>
    public void Revoke(bool terminate = false, string? signal = null) => _client.Revoke(Id, terminate, signal);

    /// <summary>Deletes the stored result.</summary>
    public void Forget() => _client.Backend.Forget(Id);

    /// <inheritdoc/>
    public override string ToString() => Id;
}
